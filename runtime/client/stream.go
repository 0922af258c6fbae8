package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/hubgen/hubgen/runtime/protocol"
)

// streamBuffer is how many items of one server-to-client stream the client
// holds for a consumer that is behind; then the connection's reader waits.
const streamBuffer = 10

// ErrStreamStalled ends a stream from StreamOf whose consumer took no item for
// Options.ServerTimeout while the stream's buffer was full: the client cancels
// the stream on the server rather than keep the connection's other calls
// waiting any longer. The items received before it are still yielded.
var ErrStreamStalled = errors.New("client: stream canceled: its consumer took no item for the server timeout while the connection waited for it")

// errStreamReused is the error of a second iteration of a StreamOf sequence.
var errStreamReused = errors.New("client: a sequence from StreamOf can be iterated only once; call StreamOf again for a new stream")

// StreamOf calls a server-to-client streaming method and returns its items as a
// sequence. Breaking out of the loop, or ctx ending, sends a CancelInvocation.
//
// Iterating the sequence starts the call, a StreamInvocation; the sequence is
// single-use. It yields the items, each decoded into a T, until the server
// completes the stream. A stream that the server completes with an error ends
// with that error as an *Error, with the server's text; an item that does not
// decode as a T ends it with the decoding error, and cancels it on the server.
// When ctx ends, the sequence yields ctx.Err() and the stream is cancelled on
// the server; later items and the completion are dropped. A connection that
// ends during the stream ends it with an error that wraps ErrConnectionClosed,
// after the items already received; while the connection is reconnecting, the
// sequence yields only ErrReconnecting. Arguments made by UploadOf stream to the
// server while the stream runs.
//
// # Backpressure
//
// The client holds at most 10 received items of a stream that its consumer has
// not taken. When a stream's buffer is full, the connection's reader waits for
// the consumer rather than hold more: the server's items then wait in TCP's
// buffers, and a server that holds its producer back while its own buffer is
// full (hubgen's hub, ASP.NET Core) slows down to the consumer's pace. Memory
// stays bounded, but while the reader waits nothing else arrives on that
// connection: other streams, results of Invoke and calls to handlers wait too.
// So do not wait, in the loop over a stream, for something that the same
// connection must deliver (such as an Invoke) while the stream may be running
// ahead of you: use Send, or another connection. The reader waits at most
// Options.ServerTimeout for one stream; a consumer that takes no item for that
// long (one that stopped iterating without breaking, say) has its stream
// cancelled with ErrStreamStalled, and the connection goes on. A server with a
// send timeout shorter than that may close the connection first.
func StreamOf[T any](ctx context.Context, c *Conn, method string, args ...any) iter.Seq2[T, error] {
	var started atomic.Bool
	return func(yield func(T, error) bool) {
		var zero T
		if started.Swap(true) {
			yield(zero, errStreamReused)
			return
		}
		st, err := c.openStream(ctx, method, args)
		if err != nil {
			yield(zero, err)
			return
		}
		defer st.close()
		for {
			raw, more, err := st.next()
			if !more {
				if err != nil {
					yield(zero, err)
				}
				return
			}
			v, err := decodeItem[T](st.s.proto, raw)
			if err != nil {
				yield(zero, fmt.Errorf("client: cannot decode an item of %q: %w", method, err))
				return
			}
			if !yield(v, nil) {
				return
			}
		}
	}
}

// stringDecoder is a protocol that decodes strings without a pointer.
type stringDecoder interface {
	DecodeString(protocol.Raw) (string, error)
}

// decodeItem decodes a stream item as a T.
func decodeItem[T any](p protocol.Protocol, raw protocol.Raw) (T, error) {
	var v T
	if ps, ok := any(&v).(*string); ok {
		if d, ok := p.(stringDecoder); ok {
			s, err := d.DecodeString(raw)
			*ps = s
			return v, err
		}
	}
	pv := new(T)
	err := p.Decode(raw, pv)
	return *pv, err
}

// stream is the consumer's side of a stream from the server.
type stream struct {
	ctx         context.Context
	s           *session
	id          string
	cl          *call
	stopUploads func()
	completed   bool  // the call's done has delivered end
	end         error // why the stream ended; nil for a Completion without error
}

// openStream sends the StreamInvocation of a stream and starts its uploads.
func (c *Conn) openStream(ctx context.Context, method string, args []any) (*stream, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s, err := c.session()
	if err != nil {
		return nil, err
	}
	args, ups := c.takeUploads(args)
	id := c.nextID()
	cl := &call{target: method, done: make(chan error, 1), items: make(chan protocol.Raw, streamBuffer), stop: make(chan struct{})}
	if err := s.post(ctx, ups.message(protocol.StreamInvocation, id, method, args), cl); err != nil {
		return nil, err
	}
	st := &stream{ctx: ctx, s: s, id: id, cl: cl, stopUploads: func() {}}
	if ups != nil {
		st.stopUploads = s.upload(ctx, ups)
	}
	return st, nil
}

// next returns the next item. At the end, more is false and err says why the
// stream ended: nil after a Completion without error.
func (st *stream) next() (raw protocol.Raw, more bool, err error) {
	if err := st.ctx.Err(); err != nil {
		return nil, false, err
	}
	if st.completed {
		// The reader queued every item before it delivered the end.
		select {
		case raw := <-st.cl.items:
			return raw, true, nil
		default:
			return nil, false, st.end
		}
	}
	select {
	case raw := <-st.cl.items: // the common case, without selectgo
		return raw, true, nil
	default:
	}
	select {
	case raw := <-st.cl.items:
		return raw, true, nil
	case err := <-st.cl.done:
		st.completed, st.end = true, err
		return st.next()
	case <-st.ctx.Done():
		return nil, false, st.ctx.Err()
	}
}

// close ends the consumer's side: a stream that has not ended is cancelled on
// the server, what still comes for it is dropped, and its uploads stop.
func (st *stream) close() {
	if st.s.forget(st.id) {
		st.s.push(protocol.Message{Type: protocol.CancelInvocation, InvocationID: st.id})
	}
	close(st.cl.stop)
	st.stopUploads()
}

// streamItem hands a StreamItem to its stream's consumer. When the stream's
// buffer is full the reader waits: see StreamOf.
func (s *session) streamItem(m *protocol.Message) {
	s.mu.Lock()
	cl := s.pending[m.InvocationID]
	s.mu.Unlock()
	if cl == nil || cl.items == nil {
		s.c.log.Debug("client: ignoring a stream item for no stream", "id", m.InvocationID)
		return
	}
	raw := protocol.Raw(bytes.Clone(m.RawItem)) // m's bytes belong to the read buffer
	select {
	case cl.items <- raw: // the common case, without selectgo; a consumer that has gone never reads it
	default:
		s.waitConsumer(m.InvocationID, cl, raw)
	}
}

// pauseTimeout stops the server timeout while the reader waits for a consumer
// of what it read, which is not the server's silence; the returned resume sets
// it again.
func (s *session) pauseTimeout() (resume func()) {
	if s.timeout == nil { // Long Polling has none
		return func() {}
	}
	s.timeout.Stop()
	return func() { s.timeout.Reset(s.c.opts.ServerTimeout) }
}

// waitConsumer waits, for at most the server timeout, until a stream's consumer
// takes raw, or leaves, or the session ends. Waiting for the consumer is not the
// server's silence: the server timeout is off meanwhile. A consumer that takes
// nothing for that long has its stream cancelled with ErrStreamStalled.
func (s *session) waitConsumer(id string, cl *call, raw protocol.Raw) {
	defer s.pauseTimeout()()
	stall := time.NewTimer(s.c.opts.ServerTimeout)
	defer stall.Stop()
	select {
	case cl.items <- raw:
	case <-cl.stop:
	case <-s.quit:
	case <-stall.C:
		s.mu.Lock()
		mine := s.pending[id] == cl
		if mine {
			delete(s.pending, id)
		}
		s.mu.Unlock()
		if mine {
			s.c.log.Warn("client: canceling a stream whose consumer took no item for the server timeout", "method", cl.target, "id", id, "timeout", s.c.opts.ServerTimeout)
			s.push(protocol.Message{Type: protocol.CancelInvocation, InvocationID: id})
			cl.done <- ErrStreamStalled
		}
	}
}

// push queues a small control message, a CancelInvocation or the Completion of
// an upload, without waiting for room. It does nothing once the session is
// ending.
func (s *session) push(m protocol.Message) {
	b, err := s.encode(m)
	if err != nil {
		s.c.log.Error("client: cannot encode a message", "type", m.Type, "id", m.InvocationID, "error", err)
		return
	}
	s.enqueue(b) // fails only when the session is ending
}

// nextID returns a new invocation or stream id.
func (c *Conn) nextID() string {
	return strconv.FormatUint(c.ids.Add(1)-1, 10)
}

// Upload is a client-to-server stream: an argument of Invoke, Send or StreamOf
// whose items stream to the server. UploadOf makes one.
type Upload interface {
	// each calls f with each item until the sequence ends or f returns false,
	// and returns the error the sequence yielded, if any.
	each(f func(item any) bool) error
}

// UploadOf makes a sequence an argument of Invoke, Send or StreamOf that streams
// its items to the server (a client-to-server stream).
//
// The call's message carries a stream id in place of the argument, as the
// official clients send it; once the message is queued, a goroutine sends the
// sequence's items, in order, then completes the stream. A sequence that yields
// an error completes the stream with that error's text, which the server's
// method sees as the stream's error (a *hub.Error with hubgen's hub, a
// HubException with ASP.NET Core). Several uploads in one call stream side by
// side, each on a goroutine of its own.
//
// An upload stops when the call's ctx ends, and completes the stream with ctx's
// error; it also stops when Invoke returns, or when the loop over a StreamOf
// stream ends, since the server has then finished with it. It stops when the
// connection ends, sending nothing more. Send returns before its uploads end:
// they run until their sequences end or ctx ends, so give Send a ctx that lasts
// as long as they do. A sequence is asked for its next item only after the
// previous one is queued, so a stopped upload's goroutine ends when its
// sequence next yields or returns; a sequence that blocks should end when the
// caller's ctx does.
func UploadOf[T any](seq iter.Seq2[T, error]) Upload {
	return uploadSeq[T](seq)
}

// uploadSeq is the Upload of a sequence of T.
type uploadSeq[T any] iter.Seq2[T, error]

func (u uploadSeq[T]) each(f func(item any) bool) error {
	if u == nil {
		return nil
	}
	for v, err := range u {
		if err != nil {
			return err
		}
		if !f(v) {
			return nil
		}
	}
	return nil
}

// uploads are the upload streams of one call.
type uploads struct {
	target string // the call's method
	ids    []string
	seqs   []Upload
}

// takeUploads takes the Upload arguments out of args and gives each a stream
// id, drawn from the counter of invocation ids as the official clients do. When
// there is none it returns args as they are and no uploads.
func (c *Conn) takeUploads(args []any) ([]any, *uploads) {
	n := 0
	for _, a := range args {
		if _, ok := a.(Upload); ok {
			n++
		}
	}
	if n == 0 {
		return args, nil
	}
	ups := &uploads{ids: make([]string, 0, n), seqs: make([]Upload, 0, n)}
	rest := make([]any, 0, len(args)-n)
	for _, a := range args {
		if u, ok := a.(Upload); ok {
			ups.ids = append(ups.ids, c.nextID())
			ups.seqs = append(ups.seqs, u)
		} else {
			rest = append(rest, a)
		}
	}
	return rest, ups
}

// message returns the message of a call with these uploads (which may be nil).
func (ups *uploads) message(typ protocol.Type, id, target string, args []any) protocol.Message {
	m := protocol.Message{Type: typ, InvocationID: id, Target: target, Arguments: args}
	if ups != nil {
		ups.target = target
		m.StreamIDs = ups.ids
	}
	return m
}

// upload starts streaming the uploads of a call that is queued: a goroutine
// each, until its sequence ends, ctx ends, stop is called, or the session ends.
func (s *session) upload(ctx context.Context, ups *uploads) (stop func()) {
	call := ctx
	ctx, cancel := context.WithCancel(ctx)
	var left atomic.Int32
	left.Store(int32(len(ups.ids)))
	for i, id := range ups.ids {
		go func() {
			s.pump(call, ctx, ups.target, id, ups.seqs[i])
			if left.Add(-1) == 0 {
				cancel()
			}
		}()
	}
	return cancel
}

// pump sends an upload's items as StreamItems, then its Completion: with the
// sequence's error if it yielded one, or with the call's ctx's error if ctx
// (the call's, or a child that ends with the call) ended first. It sends nothing
// more once the session is ending.
func (s *session) pump(call, ctx context.Context, target, id string, u Upload) {
	var sendErr error
	err := s.each(u, func(item any) bool {
		if sendErr = ctx.Err(); sendErr != nil {
			return false
		}
		b, err := s.encode(protocol.Message{Type: protocol.StreamItem, InvocationID: id, Item: item})
		if err != nil {
			sendErr = fmt.Errorf("client: cannot encode an item of upload stream %s of %q: %w", id, target, err)
			return false
		}
		sendErr = s.queue(ctx, b, "", nil)
		return sendErr == nil
	})
	if sendErr != nil {
		if errors.Is(sendErr, ErrConnectionClosed) {
			return
		}
		err = sendErr
		if ctx.Err() != nil && call.Err() != nil {
			err = call.Err() // the call's own reason, rather than the child's
		}
	}
	text := ""
	if err != nil {
		if text = err.Error(); text == "" {
			text = "client: the upload stream failed"
		}
	}
	s.push(protocol.Message{Type: protocol.Completion, InvocationID: id, Error: text})
}

// each runs an upload's sequence, turning a panic into an error.
func (s *session) each(u Upload, f func(item any) bool) (err error) {
	defer func() {
		if v := recover(); v != nil {
			s.c.log.Error("client: upload sequence panicked", "panic", v, "stack", string(debug.Stack()))
			err = fmt.Errorf("client: the upload sequence panicked: %v", v)
		}
	}()
	return u.each(f)
}

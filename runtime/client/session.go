package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hubgen/hubgen/runtime/internal/outq"
	"github.com/hubgen/hubgen/runtime/internal/reconnect"
	"github.com/hubgen/hubgen/runtime/protocol"
)

// maxQueued is the count of queued bytes, not yet written, beyond which
// Invoke, Send, StreamOf and uploads wait for the writer.
const maxQueued = 1 << 20

// maxKeptBuffer is the largest read buffer kept for reuse.
const maxKeptBuffer = 64 << 10

// session is one connection to the server: a transport after a successful
// handshake, with a goroutine that reads and an outgoing queue whose writer
// runs on demand. A Conn has a new session after each reconnect.
//
// Every message is encoded by its sender, outside every lock, before it is
// queued (see outq): a value that cannot be encoded fails that one message.
type session struct {
	c     *Conn
	t     transport
	id    string
	proto protocol.Protocol

	ctx     context.Context // handlers' context: ends with the session, or at Close
	cancel  context.CancelFunc
	timeout *time.Timer // ends the session when the server is silent too long; nil on Long Polling

	q         *outq.Queue
	ping      []byte       // a Ping, encoded
	keepAlive *time.Timer  // sends a Ping when nothing was written for the interval; nil on Long Polling
	start     time.Time    // when the session started, for lastWrite
	lastWrite atomic.Int64 // when the last write ended, as a time.Duration since start
	queued    atomic.Int64 // bytes pushed, for the fast path of room
	written   atomic.Int64 // bytes written, for the fast path of room

	mu      sync.Mutex
	pending map[string]*call // invocations waiting for their Completion
	ending  bool             // nothing more is queued; the queue is closing
	cause   error            // why the session ended
	retry   bool             // reconnecting is allowed after it

	quit chan struct{} // closed when the session starts ending
	done chan struct{} // closed when the session is over

	// With stateful reconnect: the count of tracked messages received, the
	// timer of the Acks, and the signal of a reattach, for the watcher.
	rx         *reconnect.Receiver
	ack        *time.Timer
	reattached chan struct{} // capacity 1: reattaches counts them
	reattaches atomic.Int64  // reattaches the watcher has not told of yet
}

// call is an invocation waiting for its Completion, or a stream from the
// server (see stream.go).
type call struct {
	target string
	result any        // where to decode the result; nil to ignore it
	done   chan error // receives exactly one value

	// A stream's: the reader hands its items over on items, and waits while
	// items is full; stop is closed when the consumer has gone.
	items chan protocol.Raw
	stop  chan struct{}
}

func (c *Conn) newSession(t transport, id string, rest []byte) *session {
	s := &session{
		c:       c,
		t:       t,
		id:      id,
		proto:   c.opts.Protocol,
		start:   time.Now(),
		pending: make(map[string]*call),
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	s.ctx, s.cancel = context.WithCancel(c.stop)
	keep := 0
	if r, ok := t.(reattacher); ok && r.stateful() {
		keep = c.opts.StatefulReconnectBufferSize
		s.rx = reconnect.NewReceiver()
		s.reattached = make(chan struct{}, 1)
	}
	s.q = outq.New(outq.Config{
		Write: s.write,
		Failed: func(err error) {
			s.abort(fmt.Errorf("client: cannot write to the server: %w", err))
		},
		End:   t.closeWrite,
		Yield: true,
		Keep:  keep,
	})
	s.ping, _ = s.proto.Append(nil, &protocol.Message{Type: protocol.Ping})
	if _, ok := t.(inherentKeepAlive); !ok {
		s.timeout = time.AfterFunc(c.opts.ServerTimeout, func() { s.abort(ErrServerTimeout) })
		s.mu.Lock() // sendPing may run before the assignment
		s.keepAlive = time.AfterFunc(c.opts.KeepAliveInterval, s.sendPing)
		s.mu.Unlock()
	}
	if s.rx != nil {
		s.mu.Lock()
		s.ack = time.AfterFunc(ackInterval, s.sendAck)
		s.mu.Unlock()
	}
	go s.read(rest)
	return s
}

// ackInterval is how often a stateful connection acknowledges what it
// received, when something new arrived, as the official clients do.
const ackInterval = time.Second

// sendAck runs on the Ack timer: it queues an Ack when something new
// arrived, and sets the timer for the next.
func (s *session) sendAck() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ending {
		return
	}
	if id, ok := s.rx.Due(); ok {
		if b, err := s.proto.Append(nil, &protocol.Message{Type: protocol.Ack, SequenceID: id}); err == nil {
			s.q.PushUntracked(b, false)
		}
	}
	s.ack.Reset(ackInterval)
}

// reattach reopens the socket of a stateful session that lost it, once:
// nothing is written meanwhile; then the server gets a Sequence and what it
// did not acknowledge, in order. It reports false when the session cannot go
// on: it ends, and the connection reconnects as without stateful reconnect.
func (s *session) reattach(cause error) bool {
	r, ok := s.t.(reattacher)
	if !ok || s.rx == nil || errors.Is(cause, io.EOF) {
		return false // not stateful, or the server closed cleanly
	}
	select {
	case <-s.quit:
		return false
	default:
	}
	s.q.Pause()
	ctx, cancel := context.WithTimeout(s.ctx, s.c.opts.HandshakeTimeout)
	err := r.reattach(ctx)
	cancel()
	if err != nil {
		s.c.log.Info("client: the stateful connection could not reattach", "error", err, "lost", cause)
		return false
	}
	s.c.log.Debug("client: the stateful connection reattached", "lost", cause)
	s.q.Resume(func(id int64) []byte {
		b, _ := s.proto.Append(nil, &protocol.Message{Type: protocol.Sequence, SequenceID: id}) // an id only: it cannot fail
		return b
	})
	if s.timeout != nil {
		s.timeout.Reset(s.c.opts.ServerTimeout)
	}
	s.reattaches.Add(1)
	select {
	case s.reattached <- struct{}{}:
	default: // the watcher is told already
	}
	return true
}

// write is the queue's Write: one batch of whole messages in one transport
// write.
func (s *session) write(p []byte) error {
	if err := s.t.write(p); err != nil {
		return err
	}
	s.written.Add(int64(len(p)))
	s.lastWrite.Store(int64(time.Since(s.start)))
	return nil
}

// sendPing runs on the keep-alive timer: it queues a Ping when nothing was
// written for the keep-alive interval, and sets the timer for the next check.
func (s *session) sendPing() {
	interval := s.c.opts.KeepAliveInterval
	idle := time.Since(s.start) - time.Duration(s.lastWrite.Load())
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ending {
		return // endLocked stopped the timer; it must not start again
	}
	if idle >= interval {
		s.q.PushUntracked(s.ping, false) // fails only when the queue is closing
		idle = 0
	}
	s.keepAlive.Reset(interval - idle)
}

// encode encodes m into a pooled buffer, turning an error or a panic of a
// user's value into an error.
func (s *session) encode(m protocol.Message) (*outq.Buffer, error) {
	b := outq.Get()
	b.Msg = m
	if err := b.Encode(s.proto); err != nil {
		b.Free()
		return nil, err
	}
	return b, nil
}

// enqueue hands an encoded message to the queue, which takes b over.
func (s *session) enqueue(b *outq.Buffer) error {
	s.queued.Add(int64(len(b.B)))
	if _, err := s.q.PushBuffer(b, false); err != nil {
		return s.endedErr()
	}
	return nil
}

// room waits, as long as ctx allows, while maxQueued bytes or more are queued
// and not yet written.
func (s *session) room(ctx context.Context) error {
	if s.queued.Load()-s.written.Load() < maxQueued {
		return nil
	}
	switch err := s.q.Wait(ctx, s.q.Queued()-maxQueued+1); {
	case err == nil:
		return nil
	case errors.Is(err, outq.ErrClosed):
		return s.endedErr()
	default:
		return err
	}
}

// endedErr returns the error of a call on the session once it is ending.
func (s *session) endedErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return endedError(s.cause)
}

// invoke queues an Invocation. A call, when given, waits for its Completion.
func (s *session) invoke(ctx context.Context, id, target string, args []any, cl *call) error {
	return s.post(ctx, protocol.Message{Type: protocol.Invocation, InvocationID: id, Target: target, Arguments: args}, cl)
}

// post encodes and queues m, an Invocation or a StreamInvocation (see queue).
// Arguments that cannot be encoded fail the call alone, with an error that
// names its method.
func (s *session) post(ctx context.Context, m protocol.Message, cl *call) error {
	b, err := s.encode(m)
	if err != nil {
		return fmt.Errorf("client: cannot encode the arguments of %q: %w", m.Target, err)
	}
	return s.queue(ctx, b, m.InvocationID, cl)
}

// queue queues an encoded message, which it takes over. It waits, as long as
// ctx allows, while much is queued already. A call, when given, waits for the
// Completion of invocation id.
func (s *session) queue(ctx context.Context, b *outq.Buffer, id string, cl *call) error {
	if err := s.room(ctx); err != nil {
		b.Free()
		return err
	}
	if cl != nil {
		s.mu.Lock()
		if s.ending {
			err := endedError(s.cause)
			s.mu.Unlock()
			b.Free()
			return err
		}
		s.pending[id] = cl
		s.mu.Unlock()
	}
	if err := s.enqueue(b); err != nil {
		if cl != nil {
			s.forget(id)
		}
		return err
	}
	return nil
}

// forget drops a pending call; it reports false when a Completion, or the end
// of the session, has already taken it.
func (s *session) forget(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.pending[id]
	delete(s.pending, id)
	return ok
}

// complete answers an invocation of target from the server with a result or
// an error. A result that cannot be encoded is answered with an error.
func (s *session) complete(id, target string, result any, errText string) {
	m := protocol.Message{Type: protocol.Completion, InvocationID: id, Result: result, HasResult: errText == "", Error: errText}
	b, err := s.encode(m)
	if err != nil {
		s.c.log.Error("client: cannot encode a handler's result", "method", target, "id", id, "error", err)
		m = protocol.Message{Type: protocol.Completion, InvocationID: id, Error: fmt.Sprintf("client: cannot encode the result of %q: %v", target, err)}
		if b, err = s.encode(m); err != nil {
			return
		}
	}
	s.enqueue(b) // fails only when the session is ending
}

// close ends the session at the user's request: it sends a Close message and
// closes the transport after it.
func (s *session) close() {
	last, _ := s.proto.Append(nil, &protocol.Message{Type: protocol.Close})
	s.mu.Lock()
	first := s.endLocked(errClosedByUser, false)
	s.mu.Unlock()
	if first {
		s.q.Close(last)
	}
}

// end marks the session as ending for cause, unless it already is: what is
// queued goes out, then the transport's side ends.
func (s *session) end(cause error, retry bool) {
	s.mu.Lock()
	first := s.endLocked(cause, retry)
	s.mu.Unlock()
	if first {
		s.q.Close(nil)
	}
}

// endLocked marks the session as ending, unless it already is; it reports
// whether it did. The caller then closes or discards the queue.
func (s *session) endLocked(cause error, retry bool) bool {
	if s.ending {
		return false
	}
	s.ending, s.cause, s.retry = true, cause, retry
	close(s.quit)
	if s.keepAlive != nil {
		s.keepAlive.Stop()
	}
	if s.ack != nil {
		s.ack.Stop()
	}
	return true
}

// abort ends the session at once.
func (s *session) abort(cause error) {
	s.end(cause, true)
	s.t.abort()
}

// result returns whether reconnecting is allowed after the session, and why it
// ended.
func (s *session) result() (retry bool, cause error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.retry, s.cause
}

// read handles what the server sends, starting with rest, the bytes that came
// with the handshake response. When the transport ends it ends the session.
func (s *session) read(rest []byte) {
	err := s.receive(rest)
	if s.timeout != nil {
		s.timeout.Stop()
	}
	s.mu.Lock()
	s.endLocked(err, true)
	s.mu.Unlock()
	s.q.Discard() // the session is over: what is queued will not be sent
	<-s.q.Done()
	s.t.abort()
	s.cancel()
	s.mu.Lock()
	pending := s.pending
	s.pending = nil
	err = endedError(s.cause)
	s.mu.Unlock()
	for _, cl := range pending {
		cl.done <- err
	}
	close(s.done)
}

// receive reads and handles records until the transport or the protocol fails,
// or the server closes the connection.
func (s *session) receive(buf []byte) error {
	var m protocol.Message
	for {
		data := buf
		for len(data) > 0 {
			n, err := s.proto.Parse(data, &m)
			if err != nil {
				return fmt.Errorf("client: invalid message from the server: %w", err)
			}
			if n == 0 {
				break
			}
			data = data[n:]
			if closed, err := s.handle(&m); closed {
				return err
			}
		}
		buf = buf[:copy(buf, data)]
		if len(buf) == 0 && cap(buf) > maxKeptBuffer {
			buf = nil
		}
		var err error
		if buf, err = s.t.read(buf); err != nil {
			if !s.reattach(err) {
				return err
			}
			buf = buf[:0] // a message the old socket cut short comes again
			continue
		}
		if s.timeout != nil {
			s.timeout.Reset(s.c.opts.ServerTimeout)
		}
	}
}

// handle acts on one message. It reports closed when the server closed the
// connection, with the error that says why.
func (s *session) handle(m *protocol.Message) (closed bool, err error) {
	if s.rx != nil {
		switch {
		case m.Type == protocol.Ack:
			s.q.Ack(m.SequenceID)
			return false, nil
		case m.Type == protocol.Sequence:
			if err := s.rx.Sequence(m.SequenceID); err != nil {
				err = fmt.Errorf("client: %w", err)
				s.end(err, true)
				return true, err
			}
			return false, nil
		case !s.rx.Accept(m.Type):
			return false, nil // a duplicate, replayed after a reattach
		}
	}
	switch m.Type {
	case protocol.Invocation:
		s.handOver(job{s: s, id: m.InvocationID, target: m.Target, args: Args{proto: s.proto, raw: protocol.CloneRaw(m.RawArguments)}})
	case protocol.Completion:
		s.mu.Lock()
		cl := s.pending[m.InvocationID]
		delete(s.pending, m.InvocationID)
		s.mu.Unlock()
		if cl == nil {
			s.c.log.Debug("client: ignoring a completion for no pending invocation", "id", m.InvocationID)
			return false, nil
		}
		cl.done <- cl.complete(s.proto, m)
	case protocol.StreamItem:
		s.streamItem(m)
	case protocol.Close:
		err := errServerClosed
		if m.Error != "" {
			//lint:ignore ST1005 the text is the official clients'
			err = fmt.Errorf("Server returned an error on close: %s", m.Error)
		}
		s.end(err, m.AllowReconnect)
		return true, err
	}
	// Pings need nothing more than their arrival. Unknown types, and Ack and
	// Sequence without stateful reconnect, are ignored.
	return false, nil
}

// complete returns the outcome of an invocation from its Completion.
func (cl *call) complete(p protocol.Protocol, m *protocol.Message) error {
	if m.Error != "" {
		return &Error{Message: m.Error}
	}
	if cl.result == nil || !m.HasResult {
		return nil
	}
	if err := p.Decode(m.RawResult, cl.result); err != nil {
		return fmt.Errorf("client: cannot decode the result of %q: %w", cl.target, err)
	}
	return nil
}

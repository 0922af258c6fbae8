package hub

import (
	"bytes"
	"context"
	"fmt"
	"iter"
	"runtime/debug"

	"github.com/hubgen/hubgen/runtime/internal/outq"
	"github.com/hubgen/hubgen/runtime/protocol"
)

// StreamOf adapts a typed stream to the one a Method's Stream returns.
func StreamOf[T any](seq iter.Seq2[T, error]) iter.Seq2[any, error] {
	return func(yield func(any, error) bool) {
		for v, err := range seq {
			if !yield(v, err) {
				return
			}
		}
	}
}

// upload is a client-to-server stream: the items the client sends, in order,
// until it completes the stream.
type upload struct {
	items chan protocol.Raw // closed when the client completes the stream
	err   string            // the client's error, once items is closed
	done  chan struct{}     // closed when the method has returned
	ctx   context.Context   // the connection's
}

// Upload returns upload stream i of an invocation as a sequence of T. It ends
// when the client completes the stream; a client that completes it with an
// error yields that error as an *Error, and an item that does not decode as a T
// yields the binding error and ends the sequence.
func Upload[T any](a Args, i int) iter.Seq2[T, error] {
	u := a.uploads[i]
	return func(yield func(T, error) bool) {
		var zero T
		for {
			select {
			case raw, ok := <-u.items:
				if !ok {
					if u.err != "" {
						yield(zero, &Error{Message: u.err})
					}
					return
				}
				var v T
				if err := a.proto.Decode(raw, &v); err != nil {
					yield(zero, &bindError{index: i, err: err})
					return
				}
				if !yield(v, nil) {
					return
				}
			case <-u.ctx.Done():
				yield(zero, u.ctx.Err())
				return
			}
		}
	}
}

// openUploads registers the upload streams of an invocation.
func (c *Conn) openUploads(ids []string) ([]*upload, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.uploads)+len(c.streams)+len(ids) > c.srv.opts.MaxStreams {
		return nil, &Error{Message: textTooManyStreams}
	}
	if c.uploads == nil {
		c.uploads = make(map[string]*upload)
	}
	ups := make([]*upload, len(ids))
	for i, id := range ids {
		if c.uploads[id] != nil {
			return nil, invalidData("Stream id '%s' is already in use.", id)
		}
		ups[i] = &upload{items: make(chan protocol.Raw, c.srv.opts.StreamBuffer), done: make(chan struct{}), ctx: c.ctx}
	}
	for i, id := range ids {
		c.uploads[id] = ups[i]
	}
	return ups, nil
}

// closeUploads marks the uploads of a method that returned: what still comes
// for them is dropped until the client completes them.
func (c *Conn) closeUploads(ups []*upload) {
	for _, u := range ups {
		close(u.done)
	}
}

// ignoreUploads remembers the stream ids of a refused invocation, so that the
// items the client still sends for them are dropped rather than taken for a
// protocol violation. At most MaxStreams are remembered.
func (c *Conn) ignoreUploads(ids []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ignored == nil {
		c.ignored = make(map[string]struct{})
	}
	for _, id := range ids {
		if len(c.ignored) < c.srv.opts.MaxStreams {
			c.ignored[id] = struct{}{}
		}
	}
}

// uploadItem hands a StreamItem to its upload stream. When the stream's buffer
// is full the reader waits, which holds the client back. Items for the streams
// of a method that returned, or of a refused invocation, are dropped; an item
// for a stream never announced is fatal, as in ASP.NET Core 2.x (later versions
// only log it).
func (c *Conn) uploadItem(m *protocol.Message) error {
	c.mu.Lock()
	u := c.uploads[m.InvocationID]
	_, ignored := c.ignored[m.InvocationID]
	c.mu.Unlock()
	if ignored {
		return nil
	}
	if u == nil {
		return &detailError{kind: "KeyNotFoundException", msg: fmt.Sprintf("No stream with id '%s' could be found.", m.InvocationID)}
	}
	select {
	case u.items <- bytes.Clone(m.RawItem):
	case <-u.done:
	case <-c.ctx.Done():
	}
	return nil
}

// uploadDone ends an upload stream on the client's Completion. It reports
// false when the Completion is not for an upload.
func (c *Conn) uploadDone(m *protocol.Message) bool {
	c.mu.Lock()
	u := c.uploads[m.InvocationID]
	delete(c.uploads, m.InvocationID)
	_, ignored := c.ignored[m.InvocationID]
	delete(c.ignored, m.InvocationID)
	c.mu.Unlock()
	if u == nil {
		return ignored
	}
	u.err = m.Error
	close(u.items)
	return true
}

// stream runs a streaming method, whose stream invoke registered with the
// cancel of ctx: its items go out as StreamItems, each stream holding at most
// StreamBuffer items unsent, then a Completion ends it. A CancelInvocation from
// the client cancels ctx and ends the stream with a Completion without error,
// as ASP.NET Core does. Items are encoded here, outside every lock: one that
// cannot be encoded fails the stream.
func (c *Conn) stream(ctx context.Context, meth *Method, id string, args Args) {
	// The id is free again before the Completion goes out: a client may reuse
	// it as soon as it has the Completion.
	seq, err := c.safeStream(meth, ctx, args)
	if err != nil {
		c.closeStream(id)
		c.callFailed(meth, id, invokeFailedPrefix(meth, err), err, false)
		return
	}
	if seq == nil { // a method that returned neither a sequence nor an error: an empty stream
		seq = func(func(any, error) bool) {}
	}
	err = c.pump(ctx, id, seq)
	c.closeStream(id)
	if err != nil && ctx.Err() == nil {
		c.srv.log.Warn("hub: stream failed", "conn", c.id, "method", meth.Name, "error", c.scrub(err))
		c.fail(id, clientText(textStreamFailed, err, c.srv.opts.DetailedErrors), false)
		return
	}
	b := outq.Get()
	b.Msg = protocol.Message{Type: protocol.Completion, InvocationID: id}
	if b.Encode(c.proto) != nil {
		b.Free()
		return
	}
	c.push(b, false)
}

func (c *Conn) openStream(id string, cancel context.CancelFunc) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.uploads)+len(c.streams) >= c.srv.opts.MaxStreams {
		return &Error{Message: textTooManyStreams}
	}
	if c.streams[id] != nil {
		return invalidData("Invocation id '%s' is already in use.", id)
	}
	if c.streams == nil {
		c.streams = make(map[string]context.CancelFunc)
	}
	c.streams[id] = cancel
	return nil
}

func (c *Conn) closeStream(id string) {
	c.mu.Lock()
	delete(c.streams, id)
	c.mu.Unlock()
}

// cancelStream cancels a running stream, or an invocation running on a
// goroutine of its own; an unknown id is ignored.
func (c *Conn) cancelStream(id string) {
	c.mu.Lock()
	cancel := c.streams[id]
	if cancel == nil {
		cancel = c.calls[id]
	}
	c.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// safeStream starts a streaming method, through Options.Authorize and the
// filters, if any, turning a panic into an error.
func (c *Conn) safeStream(meth *Method, ctx context.Context, args Args) (seq iter.Seq2[any, error], err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	if !c.srv.guarded() {
		return meth.Stream(ctx, args)
	}
	inv := &Invocation{Conn: c, Method: meth.Name, Args: args, Stream: true}
	v, err := c.srv.invokeVia(ctx, inv, func(ctx context.Context) (any, error) {
		seq, err := meth.Stream(ctx, args)
		if err != nil {
			return nil, err
		}
		return seq, nil
	})
	if err != nil {
		return nil, err
	}
	return asStream(v)
}

// pump sends a stream's items until it ends, fails, or ctx ends.
func (c *Conn) pump(ctx context.Context, id string, seq iter.Seq2[any, error]) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	sent := make([]int64, c.srv.opts.StreamBuffer) // where the last items end in the output
	n := 0
	for item, err := range seq {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
		// Hold the producer back while StreamBuffer items are unsent.
		if n >= len(sent) && c.q.Wait(ctx, sent[n%len(sent)]) != nil {
			return nil
		}
		b := outq.Get()
		b.Msg = protocol.Message{Type: protocol.StreamItem, InvocationID: id, Item: item}
		if err := b.Encode(c.proto); err != nil {
			b.Free()
			return err
		}
		pos, err := c.q.PushBuffer(b, false)
		if err != nil {
			return nil // the connection is closing, or was closed for falling behind
		}
		sent[n%len(sent)] = pos
		n++
	}
	return nil
}

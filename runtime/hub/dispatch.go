package hub

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/hubgen/hubgen/runtime/internal/outq"
	"github.com/hubgen/hubgen/runtime/protocol"
	"github.com/hubgen/hubgen/runtime/transport"
)

// dispatch acts on one message from the client. An error closes the connection.
func (c *Conn) dispatch(m *protocol.Message) error {
	if c.rx != nil {
		switch {
		case m.Type == protocol.Ack:
			c.q.Ack(m.SequenceID)
			return nil
		case m.Type == protocol.Sequence:
			if err := c.rx.Sequence(m.SequenceID); err != nil {
				return invalidData("%s", err.Error())
			}
			return nil
		case !c.rx.Accept(m.Type):
			return nil // a duplicate, replayed after a reattach
		}
	}
	switch m.Type {
	case protocol.Invocation:
		c.invoke(m)
	case protocol.StreamInvocation:
		c.invoke(m)
	case protocol.StreamItem:
		return c.uploadItem(m)
	case protocol.Completion:
		if !c.uploadDone(m) {
			c.completed(m)
		}
	case protocol.CancelInvocation:
		c.cancelStream(m.InvocationID)
	case protocol.Close:
		if m.Error != "" {
			c.mu.Lock()
			c.closeErr = &Error{Message: m.Error}
			c.mu.Unlock()
		}
		c.closeWith(nil, false)
	}
	// Ping needs nothing more than its arrival; unknown types, and Ack and
	// Sequence without stateful reconnect, are ignored.
	return nil
}

// invoke runs an Invocation or a StreamInvocation. A plain invocation runs at
// once when invocations run one at a time, or on a goroutine of its own when
// more may run in parallel. Streams, and invocations with upload streams, run on
// goroutines of their own and do not count against MaxParallelInvocations, as
// in ASP.NET Core: the reader must go on reading their items. Their streams
// are registered before the reader reads on, so that a CancelInvocation or an
// item right behind finds them.
func (c *Conn) invoke(m *protocol.Message) {
	meth := c.srv.methods.lookup(m.Target)
	id, streaming := m.InvocationID, m.Type == protocol.StreamInvocation
	accepted := false
	defer func() {
		if !accepted && len(m.StreamIDs) > 0 {
			// The official clients stream to an invocation whatever its fate.
			c.ignoreUploads(m.StreamIDs)
		}
	}()
	switch {
	case meth == nil:
		c.fail(id, fmt.Sprintf(textBindFailed, m.Target)+" HubException: "+textMethodMissing, true)
		return
	case m.ArgumentsError != nil: // MessagePack arguments that could not be read
		c.callFailed(meth, id, fmt.Sprintf(textBindFailed, meth.Name), m.ArgumentsError, true)
		return
	case streaming && meth.Stream == nil:
		c.fail(id, fmt.Sprintf(textNonStreaming, meth.Name), true)
		return
	case !streaming && meth.Stream != nil:
		c.fail(id, fmt.Sprintf(textStreamingMethod, meth.Name), true)
		return
	case len(m.RawArguments) != meth.Args:
		err := invalidData(textArgCount, len(m.RawArguments), meth.Args)
		c.callFailed(meth, id, fmt.Sprintf(textBindFailed, meth.Name), err, true)
		return
	case len(m.StreamIDs) != meth.Uploads:
		// ASP.NET Core checks this after binding the arguments, and reports it
		// as a HubException of the invocation.
		err := Errorf(textStreamCount, len(m.StreamIDs), meth.Uploads)
		c.callFailed(meth, id, fmt.Sprintf(textInvokeFailed, meth.Name), err, true)
		return
	}
	if !streaming && meth.Uploads == 0 && c.sem == nil {
		accepted = true
		c.call(c.inline, meth, id, Args{proto: c.proto, raw: m.RawArguments}, true)
		return
	}
	// The message's bytes belong to the read buffer; the goroutine needs its own.
	args := Args{proto: c.proto, raw: protocol.CloneRaw(m.RawArguments)}
	if streaming || meth.Uploads > 0 {
		var err error
		if args.uploads, err = c.openUploads(m.StreamIDs); err != nil {
			c.callFailed(meth, id, fmt.Sprintf(textBindFailed, meth.Name), err, true)
			return
		}
		var ctx context.Context
		var cancel context.CancelFunc
		if streaming {
			ctx, cancel = context.WithCancel(c.ctx)
			if err := c.openStream(id, cancel); err != nil {
				cancel()
				c.closeUploads(args.uploads)
				c.callFailed(meth, id, fmt.Sprintf(textBindFailed, meth.Name), err, true)
				return
			}
		} else {
			ctx, cancel = c.openCall(id)
		}
		accepted = true
		go func() {
			defer c.closeUploads(args.uploads)
			if streaming {
				defer cancel()
				c.stream(ctx, meth, id, args)
			} else {
				defer c.closeCall(id, cancel)
				c.call(ctx, meth, id, args, false)
			}
		}()
		return
	}
	select {
	case c.sem <- struct{}{}:
	case <-c.ctx.Done():
		return
	}
	accepted = true
	ctx, cancel := c.openCall(id)
	go func() {
		defer func() { <-c.sem }()
		defer c.closeCall(id, cancel)
		c.call(ctx, meth, id, args, false)
	}()
}

// openCall returns the ctx of an invocation that runs on a goroutine of its
// own: a CancelInvocation with its id cancels it, as .NET 11's clients send
// when a call's token fires. An invocation the reader runs itself cannot be
// cancelled so: the reader reads the cancel only after it. Without an id (a
// send), the call gets the connection's ctx.
func (c *Conn) openCall(id string) (context.Context, context.CancelFunc) {
	if id == "" {
		return c.ctx, func() {}
	}
	ctx, cancel := context.WithCancel(c.ctx)
	c.mu.Lock()
	if c.calls == nil {
		c.calls = make(map[string]context.CancelFunc)
	}
	c.calls[id] = cancel
	c.mu.Unlock()
	return ctx, cancel
}

// closeCall forgets an invocation that returned.
func (c *Conn) closeCall(id string, cancel context.CancelFunc) {
	cancel()
	if id == "" {
		return
	}
	c.mu.Lock()
	delete(c.calls, id)
	c.mu.Unlock()
}

// call runs a method and answers with its Completion, unless the client wants
// no answer. The result is encoded here, on the invocation's goroutine and
// outside every lock: a result that cannot be encoded fails the invocation.
func (c *Conn) call(ctx context.Context, meth *Method, id string, args Args, inline bool) {
	result, err := c.safeCall(ctx, meth, args)
	if err != nil {
		c.callFailed(meth, id, invokeFailedPrefix(meth, err), err, inline)
		return
	}
	if id == "" {
		return
	}
	b := outq.Get()
	b.Msg = protocol.Message{Type: protocol.Completion, InvocationID: id, Result: result, HasResult: !meth.Void}
	if err := b.Encode(c.proto); err != nil {
		b.Free()
		c.srv.log.Error("hub: cannot encode a result", "conn", c.id, "method", meth.Name, "error", err)
		c.fail(id, clientText(fmt.Sprintf(textInvokeFailed, meth.Name), err, c.srv.opts.DetailedErrors), inline)
		return
	}
	c.push(b, inline)
}

// invokeFailedPrefix is the text for a method that failed: a binding failure
// or an error of the method's own.
func invokeFailedPrefix(meth *Method, err error) string {
	var be *bindError
	if errors.As(err, &be) {
		return fmt.Sprintf(textBindFailed, meth.Name)
	}
	return fmt.Sprintf(textInvokeFailed, meth.Name)
}

func (c *Conn) callFailed(meth *Method, id, prefix string, err error, inline bool) {
	var ue *unauthorizedError
	if errors.As(err, &ue) {
		c.srv.log.Debug("hub: invocation not authorized", "conn", c.id, "method", meth.Name, "error", transport.Scrub(ue.err.Error(), c.lc.Request()))
		c.fail(id, fmt.Sprintf(textUnauthorized, meth.Name), inline)
		return
	}
	// The log has the details the client does not see (without
	// DetailedErrors): the method's error, or the panic and its stack.
	var pe *PanicError
	if errors.As(err, &pe) {
		c.srv.log.Error("hub: hub method panicked", "conn", c.id, "method", meth.Name, "panic", pe.Value, "stack", string(pe.Stack))
	} else {
		c.srv.log.Warn("hub: hub method failed", "conn", c.id, "method", meth.Name, "error", c.scrub(err))
	}
	c.fail(id, clientText(prefix, err, c.srv.opts.DetailedErrors), inline)
}

// fail answers an invocation with an error, unless the client wants no answer.
func (c *Conn) fail(id, text string, inline bool) {
	if id == "" {
		return
	}
	b := outq.Get()
	b.Msg = protocol.Message{Type: protocol.Completion, InvocationID: id, Error: text}
	if err := b.Encode(c.proto); err != nil { // a text only: it cannot fail
		b.Free()
		return
	}
	c.push(b, inline)
}

// safeCall runs a hub method, through Options.Authorize and the filters, if
// any, turning a panic into an error.
func (c *Conn) safeCall(ctx context.Context, meth *Method, args Args) (result any, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	if !c.srv.guarded() {
		return meth.Call(ctx, args)
	}
	inv := &Invocation{Conn: c, Method: meth.Name, Args: args}
	return c.srv.invokeVia(ctx, inv, func(ctx context.Context) (any, error) { return meth.Call(ctx, args) })
}

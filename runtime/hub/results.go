package hub

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/hubgen/hubgen/runtime/internal/outq"
	"github.com/hubgen/hubgen/runtime/protocol"
)

// ErrSelfInvoke is returned when a hub method waits for a result from its own
// caller while the caller's invocations run one at a time: the answer could
// not be read before the method returns.
var ErrSelfInvoke = errors.New("hub: a hub method cannot wait for a client result from its own caller while MaxParallelInvocations is 1; set hub.Options.MaxParallelInvocations to 2 or more")

// clientResult is a client's answer to an invocation from the server.
type clientResult struct {
	raw   protocol.Raw
	has   bool
	error string
}

// Invoke calls method on this connection and waits for its result; see
// Client.Invoke.
func (c *Conn) Invoke(ctx context.Context, method string, result any, args ...any) error {
	if ctx.Value(inlineKey{}) == c {
		// The reader runs the caller's method: it would not read the answer
		// before the method returns.
		return ErrSelfInvoke
	}
	id := strconv.FormatUint(c.lastID.Add(1), 10)
	b := outq.Get()
	b.Msg = protocol.Message{Type: protocol.Invocation, InvocationID: id, Target: method, Arguments: args}
	if err := b.Encode(c.proto); err != nil {
		b.Free()
		return fmt.Errorf("hub: cannot encode the arguments of %q: %w", method, err)
	}
	ch := make(chan clientResult, 1)
	c.mu.Lock()
	if c.results == nil {
		c.results = make(map[string]chan clientResult)
	}
	c.results[id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.results, id)
		c.mu.Unlock()
	}()
	if !c.push(b, false) {
		return c.disconnected()
	}
	select {
	case r := <-ch:
		if r.error != "" {
			return &Error{Message: r.error}
		}
		if result != nil && r.has {
			return c.proto.Decode(r.raw, result)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-c.ctx.Done():
		return c.disconnected()
	}
}

func (c *Conn) disconnected() error {
	return fmt.Errorf("hub: connection '%s' disconnected", c.id)
}

// completed delivers a Completion to the client result waiting for it, if any.
func (c *Conn) completed(m *protocol.Message) {
	c.mu.Lock()
	ch := c.results[m.InvocationID]
	delete(c.results, m.InvocationID)
	c.mu.Unlock()
	if ch != nil {
		ch <- clientResult{raw: bytes.Clone(m.RawResult), has: m.HasResult, error: m.Error}
	}
}

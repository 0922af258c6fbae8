package hub

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/hubgen/hubgen/runtime/internal/outq"
	"github.com/hubgen/hubgen/runtime/protocol"
	"github.com/hubgen/hubgen/runtime/transport"
)

// Conn is one client connection to a hub.
type Conn struct {
	srv      *Server
	lc       *transport.Conn // the connection under the hub's
	id       string
	created  time.Time
	identity *Identity
	ctx      context.Context
	inline   context.Context // ctx of the invocations the reader runs itself
	q        *outq.Queue     // encoded messages waiting for the transport
	direct   bool            // the reader may write its replies itself

	// Set once by the handshake, before any invocation runs.
	proto     protocol.Protocol
	handshook atomic.Bool

	// Owned by the goroutine that reads the transport.
	in  *outq.Buffer     // received bytes not yet parsed
	msg protocol.Message // the message being dispatched
	sem chan struct{}    // slots for parallel invocations; nil when only one

	reading   atomic.Bool   // the reader waits in Next: it will see the transport end
	closed    atomic.Bool   // the server closes the connection with a last message
	lastWrite atomic.Int64  // unix nanoseconds of the last write to the transport
	lastID    atomic.Uint64 // of the invocations this server sent for client results
	behindLog sync.Once     // the warning for a connection that falls behind

	mu       sync.Mutex                    // guards the connection's state below, never user code
	results  map[string]chan clientResult  // client results awaited, by invocation id
	streams  map[string]context.CancelFunc // server-to-client streams running, by invocation id
	calls    map[string]context.CancelFunc // invocations on goroutines of their own, by invocation id
	uploads  map[string]*upload            // client-to-server streams open, by stream id
	ignored  map[string]struct{}           // stream ids of refused invocations, until completed
	closeErr error                         // the error of a Close message, the client's or the server's
	finished sync.Once
}

type connKey struct{}

type inlineKey struct{}

// ConnFromContext returns the connection whose invocation ctx belongs to, or nil
// outside a hub method.
func ConnFromContext(ctx context.Context) *Conn {
	c, _ := ctx.Value(connKey{}).(*Conn)
	return c
}

func newConn(srv *Server, lc *transport.Conn) *Conn {
	c := &Conn{srv: srv, lc: lc, id: lc.ID(), created: time.Now(), identity: lc.Identity()}
	// The connection's ctx is its transport's: it ends the moment the
	// transport does.
	c.ctx = context.WithValue(lc.Context(), connKey{}, c)
	c.inline = c.ctx
	// A long poll's write waits for the client's next poll: the reader must
	// not wait for it.
	c.direct = lc.Transport() != transport.LongPolling
	if n := srv.opts.MaxParallelInvocations; n > 1 {
		c.sem = make(chan struct{}, n)
	} else {
		c.inline = context.WithValue(c.ctx, inlineKey{}, c)
	}
	c.q = outq.New(outq.Config{
		Write: func(p []byte) error {
			err := lc.Write(p)
			c.lastWrite.Store(time.Now().UnixNano())
			return err
		},
		Failed: lc.Abort,
		End:    lc.Close,
		Limit:  srv.opts.MaxQueueSize,
		Full:   c.behind,
		Yield:  true,
	})
	c.lastWrite.Store(c.created.UnixNano())
	return c
}

// ID returns the connection id, the public name of the connection.
func (c *Conn) ID() string { return c.id }

// UserID returns the id of the authenticated user, or "".
func (c *Conn) UserID() string {
	if c.identity == nil {
		return ""
	}
	return c.identity.UserID
}

// Identity returns what authentication found, or nil for an anonymous user.
func (c *Conn) Identity() *Identity { return c.identity }

// Request returns the HTTP request that opened the connection. Its URL may
// carry secrets, the access_token and the connection token (id): log it with
// RedactURL.
func (c *Conn) Request() *http.Request { return c.lc.Request() }

// Context returns the connection's context, cancelled when it closes.
func (c *Conn) Context() context.Context { return c.ctx }

// Protocol returns the hub protocol chosen at the handshake.
func (c *Conn) Protocol() protocol.Protocol { return c.proto }

// Transport returns the name of the transport: "WebSockets",
// "ServerSentEvents" or "LongPolling".
func (c *Conn) Transport() string { return c.lc.Transport().String() }

// Send queues m for the connection. It returns an error only when m cannot be
// encoded; a message for a closing connection is dropped, and a connection
// that does not keep up is closed.
func (c *Conn) Send(m *Message) error {
	b, err := m.Encode(c.proto)
	if err != nil {
		return err
	}
	c.q.Push(b, false) // dropped when closing; a full queue closes the connection
	return nil
}

// push queues an encoded message. With hold, the reader writes it once it
// has handled the whole frame (see read). It reports false when the
// connection is closing.
func (c *Conn) push(b *outq.Buffer, hold bool) bool {
	_, err := c.q.PushBuffer(b, hold)
	return err == nil
}

// behind closes a connection that fell MaxQueueSize behind: the queue's Full.
func (c *Conn) behind() {
	c.behindLog.Do(func() {
		c.srv.log.Warn("hub: closing a connection that does not keep up", "conn", c.id, "limit", c.srv.opts.MaxQueueSize)
	})
	c.q.Discard()
	c.lc.Abort(errBehind)
}

// errBehind ends a connection that fell MaxQueueSize behind.
var errBehind = errors.New("hub: the connection does not keep up with what is sent to it")

// Close sends a Close message, with err's text as ASP.NET Core would write it
// (none when err is nil), and closes the connection.
func (c *Conn) Close(err error) {
	text := ""
	if err != nil {
		text = clientText(textConnectionClosed, err, c.srv.opts.DetailedErrors)
	}
	c.closeWith(&protocol.Message{Type: protocol.Close, Error: text}, false)
}

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

// closingPollWait is how long the last writes of a closing Long Polling
// connection wait for a poll: a client polls again as soon as a poll ends, so
// one on its way arrives well within it. What no poll comes for is dropped,
// and the client's next poll learns that the connection is over.
const closingPollWait = time.Second

// closeWith queues a last message, if any, and closes the connection after it.
func (c *Conn) closeWith(last *protocol.Message, allowReconnect bool) {
	c.closing()
	var b []byte
	if last != nil && c.handshook.Load() { // which orders the read of c.proto after its write
		last.AllowReconnect = allowReconnect
		b, _ = outq.Append(c.proto, nil, last) // texts and flags only: it cannot fail
	}
	c.q.Close(b)
}

// closing marks a connection that the server closes with a last message.
func (c *Conn) closing() {
	c.closed.Store(true)
	if !c.direct {
		c.lc.SetWriteDeadline(time.Now().Add(closingPollWait))
	}
}

// isClosing reports whether the connection closes: nothing more is sent.
func (c *Conn) isClosing() bool { return c.q.Closed() }

// tick is the heartbeat's visit: a connection that did not complete its
// handshake in time is refused, one from which nothing arrived for the
// client timeout is cut off, and an idle one gets a Ping. Long Polling needs
// neither: every poll is a sign of life, and its transport times out a
// client that stops polling.
func (c *Conn) tick(now time.Time) {
	o := &c.srv.opts
	if !c.handshook.Load() {
		if now.Sub(c.created) > o.HandshakeTimeout {
			c.srv.log.Debug("hub: handshake timed out", "conn", c.id)
			if !c.direct {
				// A long-polling client that has not handshaken in time is
				// not polling for the answer either.
				c.lc.Abort(errTimeout)
				return
			}
			c.refuse(textHandshakeTimeout)
		}
		return
	}
	if c.lc.Transport() == transport.LongPolling {
		return
	}
	if now.Sub(c.lc.LastRead()) > o.ClientTimeout {
		c.lc.Abort(errTimeout)
		return
	}
	c.ping(now)
}

// closeRequested closes the connection when the transport layer asks: with a
// Close message that lets the client reconnect on Shutdown, with an error
// when the identity expired.
func (c *Conn) closeRequested(reason error) {
	if errors.Is(reason, transport.ErrShutdown) {
		c.closeWith(&protocol.Message{Type: protocol.Close}, true)
		return
	}
	c.mu.Lock()
	if c.closeErr == nil {
		c.closeErr = reason // for OnDisconnected
	}
	c.mu.Unlock()
	c.Close(reason)
}

// errTimeout is the cause of a connection closed by the client timeout.
var errTimeout = timeoutError{}

type timeoutError struct{}

func (timeoutError) Error() string { return "hub: timeout: nothing received from the client" }
func (timeoutError) Timeout() bool { return true }

// ping queues a Ping if nothing was written for the keep-alive interval.
func (c *Conn) ping(now time.Time) {
	if !c.handshook.Load() || now.UnixNano()-c.lastWrite.Load() < int64(c.srv.opts.KeepAliveInterval) || !c.q.Idle() {
		return
	}
	b := outq.Get()
	b.Msg = protocol.Message{Type: protocol.Ping}
	if b.Encode(c.proto) != nil {
		b.Free()
		return
	}
	c.push(b, false)
}

// finish runs once, when the transport is done: it ends the connection's
// context at once, whatever its invocations are doing, lets the last writes
// out, closes the transport and forgets the connection, which runs
// OnDisconnected. Whoever owns the read buffer releases it (endInput).
func (c *Conn) finish(cause error) {
	c.finished.Do(func() {
		c.lc.Abort(nil) // it has ended, unless a test finishes it
		c.q.Close(nil)
		<-c.q.Done()
		c.mu.Lock()
		if cause == nil {
			cause = c.closeErr
		}
		c.mu.Unlock()
		c.srv.forget(c, cause)
	})
}

// endInput releases the read buffer when the transport has ended; it
// returns the cause of the end, which is a truncated message when the client
// went away in the middle of one. Only the buffer's owner calls it.
func (c *Conn) endInput(cause error) error {
	if c.in == nil {
		return cause
	}
	if len(c.in.B) > 0 && cause == nil && c.handshook.Load() && !c.isClosing() {
		cause = invalidData(textTruncated)
		c.Close(cause)
	}
	c.in.Free()
	c.in = nil
	return cause
}

// serve reads from the transport until it ends, then finishes the
// connection.
func (c *Conn) serve() {
	// A reader busy in a hub method does not see the transport end: the
	// connection finishes without it. One that is only between two reads is
	// back in Next within readerGrace, and finishes it itself, with the
	// cause it alone knows (a message cut short).
	done := make(chan struct{})
	defer close(done)
	c.lc.OnEnd(func(err error) {
		if c.reading.Load() {
			return
		}
		timer := time.NewTimer(readerGrace)
		defer timer.Stop()
		select {
		case <-done:
		case <-timer.C:
			c.finish(c.ended(err))
		}
	})
	var cause error
	for {
		c.reading.Store(true)
		data, err := c.lc.Next()
		c.reading.Store(false)
		if err != nil {
			if cause == nil {
				cause = c.ended(err)
			}
			break
		}
		if err := c.read(data); err != nil {
			if cause == nil {
				cause = err
			}
			c.protocolError(err)
		}
	}
	c.finish(c.endInput(cause))
}

// ended returns the cause of the transport's end that err reports: none
// for a clean end, nor once the connection was closing, when a client that
// has the Close message may drop the socket.
func (c *Conn) ended(err error) error {
	if err == io.EOF || c.closed.Load() {
		return nil
	}
	return err
}

// readerGrace is how long a transport's end waits for the reader to come
// back to it before the connection finishes without the reader.
const readerGrace = 20 * time.Millisecond

// protocolError says why the connection closes, and lets the client close.
func (c *Conn) protocolError(err error) {
	c.srv.log.Debug("hub: closing a connection on a protocol error", "conn", c.id, "error", err)
	if c.handshook.Load() {
		c.Close(err)
	} else {
		c.refuse(textHandshakeTimeout)
	}
}

// read takes in bytes from the transport: it handles every complete message
// and keeps the rest for the next read. A returned error is fatal to the
// connection.
func (c *Conn) read(data []byte) error {
	if c.in != nil {
		c.in.B = append(c.in.B, data...)
		data = c.in.B
	}
	n, err := c.parse(data)
	if err != nil {
		return err
	}
	switch rest := data[n:]; {
	case len(rest) == 0:
		if c.in != nil {
			c.in.Free()
			c.in = nil
		}
	case c.in == nil:
		c.in = outq.Get()
		c.in.B = append(c.in.B, rest...)
	default:
		c.in.B = c.in.B[:copy(c.in.B, rest)]
	}
	c.writeReplies()
	return nil
}

// writeReplies writes the replies the reader queued while it handled a frame:
// on its own goroutine where the transport allows it, so that a frame of
// invocations costs one write and no goroutine.
func (c *Conn) writeReplies() {
	if c.direct {
		c.q.Flush()
	} else {
		c.q.Wake()
	}
}

// parse handles every complete message in data; it returns how many bytes
// it consumed.
func (c *Conn) parse(data []byte) (int, error) {
	limit := c.srv.opts.MaxMessageSize
	total := len(data)
	for len(data) > 0 {
		if c.isClosing() {
			return total, nil // the connection is going; ignore what still arrives
		}
		var n int
		var err error
		if !c.handshook.Load() {
			n, err = c.handshake(data)
		} else if n, err = c.proto.MessageSize(data); err == nil && n > 0 {
			if limit > 0 && n > limit {
				return 0, invalidData(textMessageTooBig, limit)
			}
			// JSON is UTF-8: invalid bytes would otherwise reach other clients
			// through values passed on as they are (protocol.Raw), and a
			// browser fails a WebSocket on invalid UTF-8 in a text frame.
			if c.proto.Format() == protocol.Text && !utf8.Valid(data[:n]) {
				return 0, invalidData(textInvalidUTF8)
			}
			if n, err = c.proto.Parse(data, &c.msg); err == nil {
				err = c.dispatch(&c.msg)
			}
		}
		if err != nil {
			return 0, err
		}
		if n == 0 {
			if limit > 0 && len(data) > limit {
				return 0, invalidData(textMessageTooBig, limit)
			}
			break
		}
		data = data[n:]
	}
	return total - len(data), nil
}

// handshake reads the handshake request and answers it.
func (c *Conn) handshake(data []byte) (int, error) {
	req, n, err := protocol.ParseHandshakeRequest(data)
	if n == 0 && err == nil {
		return 0, nil
	}
	text := ""
	if err != nil {
		text = clientText(textHandshakeFailed, err, c.srv.opts.DetailedErrors)
	} else {
		c.proto, text = c.srv.pickProtocol(req, c.lc.Transport())
	}
	if text != "" {
		c.srv.log.Debug("hub: handshake refused", "conn", c.id, "error", text)
		c.refuse(text)
		return n, nil
	}
	c.lc.SetFormat(transport.Format(c.proto.Format()))
	c.handshook.Store(true)
	// The answer waits until the connection is registered: a client that has
	// it receives every broadcast sent after.
	c.q.Push(protocol.AppendHandshakeResponse(nil, ""), true)
	if err := c.srv.connected(c); err != nil {
		c.Close(err)
	}
	c.q.Wake()
	return n, nil
}

// refuse answers the handshake with an error and closes the connection.
func (c *Conn) refuse(text string) {
	c.closing()
	c.q.Close(protocol.AppendHandshakeResponse(nil, text))
}

// dispatch acts on one message from the client. An error closes the connection.
func (c *Conn) dispatch(m *protocol.Message) error {
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
	// Ping needs nothing more than its arrival; Ack, Sequence and unknown
	// types are ignored.
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
	level := c.srv.log.Debug
	var pe *PanicError
	if errors.As(err, &pe) {
		level = c.srv.log.Error
		level("hub: hub method panicked", "conn", c.id, "method", meth.Name, "panic", pe.Value, "stack", string(pe.Stack))
	} else {
		level("hub: invocation failed", "conn", c.id, "method", meth.Name, "error", err)
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

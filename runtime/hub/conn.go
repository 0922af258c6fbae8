package hub

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/hubgen/hubgen/runtime/protocol"
)

// Conn is one client connection to a hub.
type Conn struct {
	srv      *Server
	id       string
	token    string // the secret one, "" when the client skipped negotiate
	created  time.Time
	req      *http.Request
	identity *Identity
	ctx      context.Context
	cancel   context.CancelFunc
	t        transport

	// Set once by the handshake, before any invocation runs.
	proto     protocol.Protocol
	handshook atomic.Bool

	// Owned by the goroutine that reads the transport.
	in  *buffer          // received bytes not yet parsed
	msg protocol.Message // the message being dispatched
	sem chan struct{}    // slots for parallel invocations; nil when only one
	wg  sync.WaitGroup   // parallel invocations running

	lastWrite atomic.Int64  // unix nanoseconds of the last write to the transport
	lastRead  atomic.Int64  // unix nanoseconds of the last bytes received
	posting   sync.Mutex    // HTTP transports: one POST is read at a time
	lastID    atomic.Uint64 // of the invocations this server sent for client results

	mu       sync.Mutex
	out      *buffer                       // encoded messages waiting for the transport
	scratch  protocol.Message              // reused to encode replies
	results  map[string]chan clientResult  // client results awaited, by invocation id
	streams  map[string]context.CancelFunc // server-to-client streams running, by invocation id
	uploads  map[string]*upload            // client-to-server streams open, by stream id
	ignored  map[string]struct{}           // stream ids of refused invocations, until completed
	queued   int64                         // bytes ever queued
	written  int64                         // bytes ever written
	progress chan struct{}                 // closed when written grows; made by waiters
	flushing bool                          // a goroutine is writing out
	closing  bool                          // nothing more is queued; the transport closes after out
	ended    bool                          // the writer has ended the transport's side
	closed   chan struct{}                 // closed when ended
	finished sync.Once
}

type connKey struct{}

// ConnFromContext returns the connection whose invocation ctx belongs to, or nil
// outside a hub method.
func ConnFromContext(ctx context.Context) *Conn {
	c, _ := ctx.Value(connKey{}).(*Conn)
	return c
}

func newConn(srv *Server, id, token string, r *http.Request, ident *Identity) *Conn {
	c := &Conn{srv: srv, id: id, token: token, created: time.Now(), identity: ident, closed: make(chan struct{})}
	// The request ends with the handler that upgraded it; keep its values, not
	// its cancellation.
	base := context.WithoutCancel(r.Context())
	c.ctx, c.cancel = context.WithCancel(context.WithValue(base, connKey{}, c))
	c.req = r.WithContext(c.ctx)
	if n := srv.opts.MaxParallelInvocations; n > 1 {
		c.sem = make(chan struct{}, n)
	}
	c.lastWrite.Store(c.created.UnixNano())
	c.lastRead.Store(c.created.UnixNano())
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
func (c *Conn) Request() *http.Request { return c.req }

// Context returns the connection's context, cancelled when it closes.
func (c *Conn) Context() context.Context { return c.ctx }

// Protocol returns the hub protocol chosen at the handshake.
func (c *Conn) Protocol() protocol.Protocol { return c.proto }

// Transport returns the name of the transport: "WebSockets",
// "ServerSentEvents" or "LongPolling".
func (c *Conn) Transport() string { return c.t.name() }

// Send queues m for the connection. It returns an error only when m cannot be
// encoded; a message for a closing connection is dropped.
func (c *Conn) Send(m *Message) error {
	b, err := m.Encode(c.proto)
	if err != nil {
		return err
	}
	c.queue(func(dst []byte) ([]byte, error) { return append(dst, b...), nil })
	return nil
}

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
// caller while the caller's invocations run one at a time.
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
	if c.sem == nil && ConnFromContext(ctx) == c {
		return ErrSelfInvoke
	}
	id := strconv.FormatUint(c.lastID.Add(1), 10)
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
	var encodeErr error
	queued := c.queue(func(dst []byte) ([]byte, error) {
		m := &c.scratch
		*m = protocol.Message{Type: protocol.Invocation, InvocationID: id, Target: method, Arguments: args}
		out, err := c.proto.Append(dst, m)
		*m = protocol.Message{}
		encodeErr = err
		return out, err
	})
	if encodeErr != nil {
		return encodeErr
	}
	if !queued {
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

// closeWith queues a last message, if any, and closes the connection after it.
func (c *Conn) closeWith(last *protocol.Message, allowReconnect bool) {
	if last != nil {
		last.AllowReconnect = allowReconnect
	}
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	if last != nil && c.proto != nil {
		c.appendLocked(func(dst []byte) ([]byte, error) { return c.proto.Append(dst, last) })
	}
	c.closing = true
	c.wakeLocked()
	c.mu.Unlock()
}

// queue appends an encoded message to the outgoing bytes and makes sure a
// writer will send it. It reports false when the connection is closing.
func (c *Conn) queue(encode func(dst []byte) ([]byte, error)) bool {
	return c.enqueue(encode, true)
}

// reply queues an answer to the client's invocation. When the reading
// goroutine runs the invocation (inline), no writer is started: the reader
// writes what is queued once it has handled the whole frame (flushOwn), so a
// frame of invocations costs one write and no goroutine.
func (c *Conn) reply(encode func(dst []byte) ([]byte, error), inline bool) bool {
	return c.enqueue(encode, !inline)
}

// flushOwn writes what is queued on the calling goroutine, unless a writer is
// already at work.
func (c *Conn) flushOwn() {
	c.mu.Lock()
	if c.flushing || c.out == nil {
		c.mu.Unlock()
		return
	}
	c.flushing = true
	c.mu.Unlock()
	c.flush()
}

func (c *Conn) enqueue(encode func(dst []byte) ([]byte, error), wake bool) bool {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return false
	}
	err := c.appendLocked(encode)
	if queued := len(c.out.b); err == nil && queued > c.srv.opts.MaxQueueSize {
		c.mu.Unlock()
		c.srv.log.Warn("hub: closing a connection that does not keep up", "conn", c.id, "queued", queued)
		c.t.abort()
		return false
	}
	if wake {
		c.wakeLocked()
	}
	c.mu.Unlock()
	return err == nil
}

// appendLocked encodes into out, leaving out as it was if encoding fails.
func (c *Conn) appendLocked(encode func(dst []byte) ([]byte, error)) error {
	if c.out == nil {
		c.out = getBuffer()
	}
	n := len(c.out.b)
	out, err := encode(c.out.b)
	if err != nil {
		c.out.b = out[:n]
		if n == 0 {
			c.out.free()
			c.out = nil
		}
		return err
	}
	c.out.b = out
	c.queued += int64(len(out) - n)
	return nil
}

// wakeLocked starts a writer if there is none.
func (c *Conn) wakeLocked() {
	if !c.flushing && (c.out != nil || c.closing && !c.ended) {
		c.flushing = true
		go c.flushSoon()
	}
}

// flushSoon is flush on a writer goroutine of its own. It lets whoever woke it
// go on first: a broadcast, say, queues more for this connection meanwhile, and
// it all goes out in one write. At 10,000 connections this triples the
// deliveries per second.
func (c *Conn) flushSoon() {
	runtime.Gosched()
	c.flush()
}

// flush writes queued bytes until none are left; when the connection is closing
// it then ends the transport's side of the conversation. At most one runs.
func (c *Conn) flush() {
	wrote := 0
	for {
		c.mu.Lock()
		if wrote > 0 {
			c.written += int64(wrote)
			if c.progress != nil {
				close(c.progress)
				c.progress = nil
			}
		}
		b := c.out
		c.out = nil
		if b == nil {
			end := c.closing && !c.ended
			c.ended = c.closing
			c.flushing = false
			c.mu.Unlock()
			if end {
				c.t.closeWrite()
				close(c.closed)
			}
			return
		}
		c.mu.Unlock()
		wrote = len(b.b)
		err := c.t.write(b.b)
		b.free()
		if err != nil {
			c.t.abort()
		}
		c.lastWrite.Store(time.Now().UnixNano())
	}
}

// tick is the heartbeat's visit: the transport closes a connection that timed
// out, and an idle one gets a Ping unless its transport needs none.
func (c *Conn) tick(now time.Time) {
	if c.t.tick(now) {
		c.ping(now)
	}
}

// ping queues a Ping if nothing was written for the keep-alive interval.
func (c *Conn) ping(now time.Time) {
	if !c.handshook.Load() || now.UnixNano()-c.lastWrite.Load() < int64(c.srv.opts.KeepAliveInterval) {
		return
	}
	c.mu.Lock()
	idle := c.out == nil && !c.flushing
	c.mu.Unlock()
	if idle {
		c.queue(func(dst []byte) ([]byte, error) { return c.proto.Append(dst, &pingMessage) })
	}
}

var pingMessage = protocol.Message{Type: protocol.Ping}

// finish runs once, when the transport is done: it lets the last writes out,
// closes the transport and forgets the connection.
func (c *Conn) finish(cause error) {
	c.finished.Do(func() {
		if !c.handshook.Load() && isTimeout(cause) {
			c.refuse(textHandshakeTimeout)
		}
		// The read buffer belongs to whoever reads: a POST may still be at it,
		// and then it keeps the buffer, which the pool never sees again.
		if c.posting.TryLock() {
			if c.in != nil {
				if len(c.in.b) > 0 && cause == nil && c.handshook.Load() && !c.isClosing() {
					// The client went away in the middle of a message.
					cause = invalidData(textTruncated)
					c.Close(cause)
				}
				c.in.free()
				c.in = nil
			}
			c.posting.Unlock()
		}
		c.mu.Lock()
		c.closing = true
		c.wakeLocked()
		c.mu.Unlock()
		<-c.closed
		c.t.abort()
		c.cancel()
		c.wg.Wait()
		c.srv.forget(c, cause)
	})
}

// read takes in bytes from the transport: it parses every complete message and
// keeps the rest for the next read. A returned error is fatal to the
// connection; the caller closes it.
func (c *Conn) read(r io.Reader) error {
	if c.in == nil {
		c.in = getBuffer()
	}
	for {
		in := c.in.b
		if len(in) == cap(in) {
			in = append(in, 0)[:len(in)]
		}
		n, err := r.Read(in[len(in):cap(in)])
		c.in.b = in[:len(in)+n]
		if n > 0 {
			c.lastRead.Store(time.Now().UnixNano())
		}
		if perr := c.parse(); perr != nil {
			return perr
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if len(c.in.b) == 0 {
		c.in.free()
		c.in = nil
	}
	if c.t.direct() {
		c.flushOwn()
	} else {
		c.mu.Lock()
		c.wakeLocked()
		c.mu.Unlock()
	}
	return nil
}

// parse handles every complete message in c.in.
func (c *Conn) parse() error {
	limit := c.srv.opts.MaxMessageSize
	data := c.in.b
	defer func() {
		c.in.b = c.in.b[:copy(c.in.b, data)]
	}()
	for len(data) > 0 {
		if c.isClosing() {
			data = nil // the connection is going; ignore what still arrives
			return nil
		}
		var n int
		var err error
		if !c.handshook.Load() {
			n, err = c.handshake(data)
		} else if n, err = c.proto.MessageSize(data); err == nil && n > 0 {
			if limit > 0 && n > limit {
				return invalidData(textMessageTooBig, limit)
			}
			// JSON is UTF-8: invalid bytes would otherwise reach other clients
			// through values passed on as they are (protocol.Raw), and a
			// browser fails a WebSocket on invalid UTF-8 in a text frame.
			if c.proto.Format() == protocol.Text && !utf8.Valid(data[:n]) {
				return invalidData(textInvalidUTF8)
			}
			if n, err = c.proto.Parse(data, &c.msg); err == nil {
				err = c.dispatch(&c.msg)
			}
		}
		if err != nil {
			return err
		}
		if n == 0 {
			if limit > 0 && len(data) > limit {
				return invalidData(textMessageTooBig, limit)
			}
			return nil
		}
		data = data[n:]
	}
	return nil
}

func (c *Conn) isClosing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closing
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
		c.proto, text = c.srv.pickProtocol(req, c.t)
	}
	if text != "" {
		c.srv.log.Debug("hub: handshake refused", "conn", c.id, "error", text)
		c.refuse(text)
		return n, nil
	}
	c.handshook.Store(true)
	// The answer waits until the connection is registered: a client that has
	// it receives every broadcast sent after.
	c.enqueue(func(dst []byte) ([]byte, error) { return protocol.AppendHandshakeResponse(dst, ""), nil }, false)
	if err := c.srv.connected(c); err != nil {
		c.Close(err)
	}
	c.mu.Lock()
	c.wakeLocked()
	c.mu.Unlock()
	return n, nil
}

// refuse answers the handshake with an error and closes the connection.
func (c *Conn) refuse(text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return
	}
	c.appendLocked(func(dst []byte) ([]byte, error) { return protocol.AppendHandshakeResponse(dst, text), nil })
	c.closing = true
	c.wakeLocked()
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
// in ASP.NET Core: the reader must go on reading their items.
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
		c.call(meth, id, Args{proto: c.proto, raw: m.RawArguments}, true)
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
		accepted = true
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			defer c.closeUploads(args.uploads)
			if streaming {
				c.stream(meth, id, args)
			} else {
				c.call(meth, id, args, false)
			}
		}()
		return
	}
	accepted = true
	c.sem <- struct{}{}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer func() { <-c.sem }()
		c.call(meth, id, args, false)
	}()
}

// call runs a method and answers with its Completion, unless the client wants
// no answer.
func (c *Conn) call(meth *Method, id string, args Args, inline bool) {
	result, err := c.safeCall(meth, args)
	if err != nil {
		c.callFailed(meth, id, invokeFailedPrefix(meth, err), err, inline)
		return
	}
	if id == "" {
		return
	}
	c.reply(func(dst []byte) ([]byte, error) {
		m := &c.scratch
		*m = protocol.Message{Type: protocol.Completion, InvocationID: id, Result: result, HasResult: !meth.Void}
		out, err := c.proto.Append(dst, m)
		*m = protocol.Message{}
		if err != nil {
			c.srv.log.Error("hub: cannot encode a result", "conn", c.id, "method", meth.Name, "error", err)
			m = &protocol.Message{Type: protocol.Completion, InvocationID: id,
				Error: clientText(fmt.Sprintf(textInvokeFailed, meth.Name), err, c.srv.opts.DetailedErrors)}
			return c.proto.Append(dst, m)
		}
		return out, nil
	}, inline)
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
		c.srv.log.Debug("hub: invocation not authorized", "conn", c.id, "method", meth.Name, "error", scrub(ue.err.Error(), c.req))
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
	c.reply(func(dst []byte) ([]byte, error) {
		m := &c.scratch
		*m = protocol.Message{Type: protocol.Completion, InvocationID: id, Error: text}
		out, err := c.proto.Append(dst, m)
		*m = protocol.Message{}
		return out, err
	}, inline)
}

// safeCall runs a hub method, through Options.Authorize and the filters, if
// any, turning a panic into an error.
func (c *Conn) safeCall(meth *Method, args Args) (result any, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	if !c.srv.guarded() {
		return meth.Call(c.ctx, args)
	}
	inv := &Invocation{Conn: c, Method: meth.Name, Args: args}
	return c.srv.invokeVia(c.ctx, inv, func(ctx context.Context) (any, error) { return meth.Call(ctx, args) })
}

// Buffers for reading and writing, shared by all connections so that an idle
// connection holds none.
type buffer struct{ b []byte }

var buffers = sync.Pool{New: func() any { return &buffer{b: make([]byte, 0, 4096)} }}

func getBuffer() *buffer { return buffers.Get().(*buffer) }

// free returns b to the pool, unless it grew too big to keep.
func (b *buffer) free() {
	if cap(b.b) > 64<<10 {
		return
	}
	b.b = b.b[:0]
	buffers.Put(b)
}

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}

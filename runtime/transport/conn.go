package transport

import (
	"context"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Conn is one connection of an endpoint, over whichever transport the client
// opened. Its handler reads with Next and writes with Write; the other
// methods may be called from any goroutine.
type Conn struct {
	srv     *Server
	kind    Transports
	id      string
	token   string // the secret one, "" when the client skipped negotiate
	created time.Time
	req     *http.Request                // the request that opened the connection, with its own context
	withCtx atomic.Pointer[http.Request] // req with the connection's context, made on first use
	ident   *Identity
	ctx     context.Context
	cancel  context.CancelCauseFunc
	t       transport
	sw      *swapTransport // t, when the connection may survive the loss of its WebSocket

	format   atomic.Int32 // the Format SetFormat chose; 0 before
	received atomic.Int32 // the Format of the last WebSocket message received
	lastRead atomic.Int64 // unix nanoseconds of the last bytes received
	writeBy  atomic.Int64 // SetWriteDeadline's, in unix nanoseconds; 0 for none
	closing  atomic.Bool  // Close was called

	mu       sync.Mutex      // guards the hooks and expired, never user code
	onBeat   func(time.Time) // OnHeartbeat
	onClose  func(error)     // OnCloseRequest
	onEnd    func(error)     // OnEnd
	onDrop   func()          // OnDrop
	onAttach func()          // OnReattach
	expired  bool            // the identity's expiry was acted on

	endOnce sync.Once
	err     error // why the transport ended; nil for a clean end. Set before ctx ends.
}

// transport is a connection's side of WebSockets, Server-Sent Events or Long
// Polling.
type transport interface {
	// next returns the next bytes received; only the handler's goroutine
	// calls it.
	next() ([]byte, error)
	// write sends p as one message; one call at a time.
	write(p []byte) error
	// close ends the transport gracefully, once.
	close()
	// abort closes the transport at once; the connection has ended.
	abort()
	// tick is the heartbeat's visit.
	tick(now time.Time)
	// drain, after the handler returned and close, waits for the transport
	// to end, and releases its buffers.
	drain()
}

func newConn(s *Server, kind Transports, id, token string, r *http.Request, ident *Identity) *Conn {
	c := &Conn{srv: s, kind: kind, id: id, token: token, created: time.Now(), ident: ident}
	// The request ends with the handler that opened the transport; keep its
	// values, not its cancellation.
	c.ctx, c.cancel = context.WithCancelCause(context.WithoutCancel(r.Context()))
	c.req = r
	c.lastRead.Store(c.created.UnixNano())
	return c
}

// ID returns the connection id, the public name of the connection.
func (c *Conn) ID() string { return c.id }

// Identity returns what authentication found, or nil for an anonymous user.
func (c *Conn) Identity() *Identity { return c.ident }

// Request returns the HTTP request that opened the connection, with the
// connection's context. Its URL may carry secrets, the access_token and the
// connection token (id): log it with RedactURL.
func (c *Conn) Request() *http.Request {
	// Made on first use: most connections never need it, and a copy of a
	// request is a tenth of an idle connection's memory.
	if r := c.withCtx.Load(); r != nil {
		return r
	}
	c.withCtx.CompareAndSwap(nil, c.req.WithContext(c.ctx))
	return c.withCtx.Load()
}

// Context returns the connection's context, which ends the moment its
// transport ends.
func (c *Conn) Context() context.Context { return c.ctx }

// Err returns why the transport ended: nil while it is open and after a
// clean end (the client closed, or Close), or the error that ended it.
func (c *Conn) Err() error {
	if c.ctx.Err() == nil {
		return nil
	}
	return c.err
}

// Transport returns the transport the client opened.
func (c *Conn) Transport() Transports { return c.kind }

// Next returns the next bytes received: over WebSockets a message, or a part
// of one larger than 64 KiB; over the other transports a part of a POST. A
// part never ends inside a UTF-8 sequence that the rest completes, so that
// each part of a text message is text on its own. The bytes are valid until
// the next call. After the transport ended it returns
// io.EOF for a clean end, or the error that ended it. Only the handler's
// goroutine may call it.
func (c *Conn) Next() ([]byte, error) { return c.t.next() }

// Write sends p to the client as one message: a WebSocket message (of the
// connection's Format), a Server-Sent Event, or the answer to a long poll,
// which waits for the client's next poll. Calls must not overlap.
func (c *Conn) Write(p []byte) error { return c.t.write(p) }

// Writer returns c.Write bound to the connection's transport: the same
// writes, for a caller that makes many of them (a hub's writer, for every
// connection a broadcast reaches), one pointer nearer the socket.
func (c *Conn) Writer() func(p []byte) error { return c.t.write }

// Format returns what the connection's WebSocket messages are: the format
// SetFormat chose or, before, the format of the last message received. It is
// Text until either happens. Server-Sent Events and Long Polling carry bytes
// as they are, whatever the format; the client's choice of format does not
// reach the server over them.
func (c *Conn) Format() Format {
	if f := c.format.Load(); f != 0 {
		return Format(f)
	}
	if f := c.received.Load(); f != 0 {
		return Format(f)
	}
	return Text
}

// SetFormat sets the format of what Write sends over WebSockets.
func (c *Conn) SetFormat(f Format) {
	c.format.Store(int32(f))
	if t := c.websocket(); t != nil {
		t.out.Store(int32(f))
	}
}

// SetWriteDeadline bounds the writes from now on, on top of the server's
// WriteTimeout: a write, including a long poll's wait for the client's next
// poll, fails once t passes, and the connection ends. The zero time removes
// the bound.
func (c *Conn) SetWriteDeadline(t time.Time) {
	var by int64
	if !t.IsZero() {
		by = t.UnixNano()
	}
	c.writeBy.Store(by)
	if t := c.websocket(); t != nil {
		t.writeBy.Store(by)
	}
}

// writeDeadline is when a write that starts now must be done.
func (c *Conn) writeDeadline(now time.Time, timeout time.Duration) time.Time {
	by := now.Add(timeout)
	if d := c.writeBy.Load(); d != 0 && d < by.UnixNano() {
		by = time.Unix(0, d)
	}
	return by
}

// LastRead returns when bytes last arrived from the client.
func (c *Conn) LastRead() time.Time { return time.Unix(0, c.lastRead.Load()) }

// Close ends the connection gracefully: a WebSocket sends a Close frame
// (1000) and waits for the client's, a long poll answers 204, an event
// stream ends. It does not wait.
func (c *Conn) Close() {
	if c.closing.CompareAndSwap(false, true) {
		c.t.close()
	}
}

// Abort closes the connection at once; err, or ErrAborted when nil, becomes
// its Err.
func (c *Conn) Abort(err error) {
	if err == nil {
		err = ErrAborted
	}
	c.end(err)
	c.t.abort()
}

// OnHeartbeat registers f to run on each visit of the server's heartbeat
// (Options.Heartbeat) while the connection is open. f runs on the
// heartbeat's goroutine, which visits every connection: it must not block.
func (c *Conn) OnHeartbeat(f func(now time.Time)) {
	c.mu.Lock()
	c.onBeat = f
	c.mu.Unlock()
}

// OnCloseRequest registers f to run when the server asks the connection to
// close: with ErrShutdown on Shutdown, with ErrAuthenticationExpired when
// its identity expires under Options.CloseOnAuthenticationExpiration. f
// should close the connection soon (a hub sends its Close message first);
// without f, the connection is closed at once. f must not block.
func (c *Conn) OnCloseRequest(f func(reason error)) {
	c.mu.Lock()
	c.onClose = f
	c.mu.Unlock()
}

// OnEnd registers f to run once, on a goroutine of its own, when the
// transport ends, with what Err then returns. It does what
// context.AfterFunc(c.Context(), …) does, for less memory per connection.
func (c *Conn) OnEnd(f func(err error)) {
	c.mu.Lock()
	c.onEnd = f
	c.mu.Unlock()
}

// requestClose asks the connection to close, for reason.
func (c *Conn) requestClose(reason error) {
	c.mu.Lock()
	f := c.onClose
	c.mu.Unlock()
	if f != nil {
		f(reason)
		return
	}
	c.Close()
}

// tick is the heartbeat's visit.
func (c *Conn) tick(now time.Time) {
	if c.ctx.Err() != nil {
		return
	}
	c.t.tick(now)
	c.mu.Lock()
	expire := c.srv.opts.CloseOnAuthenticationExpiration && !c.expired && c.ident != nil &&
		!c.ident.Expires.IsZero() && !now.Before(c.ident.Expires)
	if expire {
		c.expired = true
	}
	f := c.onBeat
	c.mu.Unlock()
	if expire {
		c.srv.log.Debug("transport: closing a connection whose authentication expired", "conn", c.id)
		c.requestClose(ErrAuthenticationExpired)
	}
	if f != nil {
		f(now)
	}
}

// end ends the connection: its context ends, with cause as its Err (nil for
// a clean end). The first cause wins.
func (c *Conn) end(cause error) {
	c.endOnce.Do(func() {
		c.err = cause
		if cause == nil {
			cause = io.EOF
		}
		c.srv.untrack(c) // its token is worthless from now on
		c.cancel(cause)
		if c.sw != nil {
			c.sw.stop()
		}
		c.mu.Lock()
		f := c.onEnd
		c.mu.Unlock()
		if f != nil {
			go f(c.err)
		}
	})
}

// ended reports whether the transport has ended.
func (c *Conn) ended() bool { return c.ctx.Err() != nil }

// nextErr is what Next returns once the transport has ended.
func (c *Conn) nextErr() error {
	if err := c.Err(); err != nil {
		return err
	}
	return io.EOF
}

// bufPool holds read buffers; an idle connection holds none.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// maxKept is the capacity beyond which a read buffer is not pooled again.
const maxKept = 64 << 10

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func freeBuf(b *[]byte) {
	if b == nil || cap(*b) > maxKept {
		return
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}

package hub

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hubgen/hubgen/runtime/internal/outq"
	"github.com/hubgen/hubgen/runtime/internal/reconnect"
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
	in  *outq.Buffer  // received bytes not yet parsed
	sem chan struct{} // slots for parallel invocations; nil when only one

	// With stateful reconnect (transport.Conn.Stateful): the count of
	// tracked messages received, and whether the socket is gone meanwhile.
	rx      *reconnect.Receiver
	dropped atomic.Bool

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
	write := lc.Writer()
	keep := 0
	if lc.Stateful() {
		keep = srv.opts.StatefulReconnectBufferSize
		c.rx = reconnect.NewReceiver()
		lc.OnDrop(c.drop)
		lc.OnReattach(c.reattach)
	}
	c.q = outq.New(outq.Config{
		Write: func(p []byte) error {
			err := write(p)
			c.lastWrite.Store(time.Now().UnixNano())
			return err
		},
		Failed: lc.Abort,
		End:    lc.Close,
		Limit:  srv.opts.MaxQueueSize,
		Full:   c.behind,
		Yield:  true,
		Keep:   keep,
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

// Stateful reports whether the connection survives the loss of its WebSocket:
// its client asked for stateful reconnect, and Options.AllowStatefulReconnects
// allows it. WebSockets only.
func (c *Conn) Stateful() bool { return c.rx != nil }

// Transport returns the name of the transport: "WebSockets",
// "ServerSentEvents" or "LongPolling".
func (c *Conn) Transport() string { return c.lc.Transport().String() }

// logAttrs are the attributes of the connection's log lines, followed by
// more: its id, transport, protocol and user (never its token).
func (c *Conn) logAttrs(more ...any) []any {
	return append([]any{"conn", c.id, "transport", c.Transport(), "protocol", c.proto.Name(), "user", c.UserID()}, more...)
}

// scrub returns err's text with the connection's access token redacted, for
// logs.
func (c *Conn) scrub(err error) string { return transport.Scrub(err.Error(), c.lc.Request()) }

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
	if c.dropped.Load() {
		return // the transport waits for the client to reattach
	}
	if now.Sub(c.lc.LastRead()) > o.ClientTimeout {
		c.lc.Abort(errTimeout)
		return
	}
	c.ack()
	c.ping(now)
}

// ack sends an Ack to a stateful connection's client when something new
// arrived since the last one: the heartbeat's, about once a second, as
// ASP.NET Core's timer.
func (c *Conn) ack() {
	if c.rx == nil {
		return
	}
	if id, ok := c.rx.Due(); ok {
		c.pushControl(&protocol.Message{Type: protocol.Ack, SequenceID: id})
	}
}

// drop is the transport's OnDrop: the socket is gone, the client may come
// back. Nothing is written meanwhile.
func (c *Conn) drop() {
	c.dropped.Store(true)
	c.q.Pause()
}

// reattach is the transport's OnReattach: the client came back over a new
// socket, which gets a Sequence, what the client did not acknowledge, and
// then what was sent meanwhile.
func (c *Conn) reattach() {
	if !c.handshook.Load() { // nothing to resume: the client could not have started
		c.lc.Abort(errTimeout)
		return
	}
	c.srv.log.Debug("hub: a stateful connection's client reattached", "conn", c.id)
	c.dropped.Store(false)
	c.q.Resume(func(id int64) []byte {
		b, _ := outq.Append(c.proto, nil, &protocol.Message{Type: protocol.Sequence, SequenceID: id}) // an id only: it cannot fail
		return b
	})
}

// pushControl queues a message of the hub's own that stateful reconnect does
// not track: a Ping, an Ack.
func (c *Conn) pushControl(m *protocol.Message) {
	b := outq.Get()
	b.Msg = *m
	if b.Encode(c.proto) == nil {
		c.q.PushUntracked(b.B, false)
	}
	b.Free()
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
	c.pushControl(&protocol.Message{Type: protocol.Ping})
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

package hub

import (
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hubgen/hubgen/runtime/internal/outq"
	"github.com/hubgen/hubgen/runtime/protocol"
)

// closeTimeout bounds the wait for the client's answer to a closing handshake.
const closeTimeout = 5 * time.Second

// writeBuffers are shared by every WebSocket so that an idle one holds none.
var writeBuffers sync.Pool

// wsTransport is a WebSocket. Its reader usually handles what it reads
// itself: a frame of invocations costs no goroutine. While the reader handles
// a frame, it runs user code that may block, and a socket that nobody reads
// cannot tell that the client went away; so when the heartbeat finds a frame
// in handling for longer than takeoverAfter, it starts a standby reader. The
// standby reads the socket from then on, ending the connection the moment the
// socket ends; until the deposed reader has handled its frame and what the
// standby queued for it meanwhile (in order), the standby only queues.
type wsTransport struct {
	c  *Conn
	ws *websocket.Conn

	mu      sync.Mutex
	inbox   []*outq.Buffer // bytes the standby read, for the deposed reader
	inboxN  int            // bytes in inbox
	room    chan struct{}  // closed when the deposed reader takes from a full inbox
	handing atomic.Bool    // a deposed reader still handles what was read before; changed under mu
	ended   bool           // the socket has ended
}

// takeoverAfter is how long a frame may be in handling before the heartbeat
// starts a standby reader.
const takeoverAfter = 20 * time.Millisecond

// maxInbox is how many bytes a standby reader queues for a deposed one before
// it stops reading, which holds the client back.
const maxInbox = 64 << 10

func (t *wsTransport) name() string                          { return "WebSockets" }
func (t *wsTransport) supports(protocol.TransferFormat) bool { return true }
func (t *wsTransport) direct() bool                          { return true }

// tick has no timeout to check, read deadlines time WebSockets out; they need
// pings. A reader that handles one frame for long gets a standby.
func (t *wsTransport) tick(now time.Time) bool {
	c := t.c
	if now.UnixNano()-c.lastRead.Load() <= int64(takeoverAfter) || c.handling.Load() != readerHandling {
		return true
	}
	// Under t.mu: the deposed reader, which fails its own swap after this
	// one, must find handing set when it drains.
	t.mu.Lock()
	deposed := c.handling.CompareAndSwap(readerHandling, readerDeposed)
	if deposed {
		t.handing.Store(true)
	}
	t.mu.Unlock()
	if deposed {
		go t.run()
	}
	return true
}

func (t *wsTransport) write(p []byte) error {
	kind := websocket.TextMessage
	if t.c.proto != nil && t.c.proto.Format() == protocol.Binary {
		kind = websocket.BinaryMessage
	}
	t.ws.SetWriteDeadline(time.Now().Add(t.c.srv.opts.SendTimeout))
	return t.ws.WriteMessage(kind, p)
}

func (t *wsTransport) closeWrite() {
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	t.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeTimeout))
	// The reader now waits for the client's answer for closeTimeout at most,
	// not for the rest of the client timeout: a silent client must not hold
	// Shutdown for half a minute.
	t.ws.SetReadDeadline(time.Now().Add(closeTimeout))
}

func (t *wsTransport) abort() { t.ws.Close() }

// serveWebSocket upgrades the request and starts reading from the socket.
func (s *Server) serveWebSocket(w http.ResponseWriter, r *http.Request, id, token string, ident *Identity) {
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.log.Debug("hub: WebSocket upgrade failed", "url", RedactURL(r.URL), "error", err)
		return // the upgrader has answered
	}
	c := newConn(s, id, token, r, ident)
	c.t = &wsTransport{c: c, ws: ws}
	if !s.track(c) {
		ws.Close()
		return
	}
	// Reading on a goroutine of our own lets the handler return, and net/http
	// free its buffers.
	go c.t.(*wsTransport).run()
}

// run reads frames until the socket closes, then finishes the connection. A
// reader that a standby deposed drains its inbox and returns instead.
func (t *wsTransport) run() {
	c := t.c
	opts := &c.srv.opts
	handshakeBy := time.Now().Add(opts.HandshakeTimeout)
	var cause, err error
	var closeBy time.Time
	for {
		switch {
		case c.isClosing():
			if closeBy.IsZero() {
				closeBy = time.Now().Add(closeTimeout)
			}
			t.ws.SetReadDeadline(closeBy)
		case !c.handshook.Load():
			t.ws.SetReadDeadline(handshakeBy)
		default:
			t.ws.SetReadDeadline(time.Now().Add(opts.ClientTimeout))
		}
		if closeBy.IsZero() && c.isClosing() {
			continue // closeWrite may have set a shorter deadline meanwhile
		}
		_, r, rerr := t.ws.NextReader()
		if rerr != nil {
			err = rerr
			break
		}
		if rerr = t.read(r); rerr == errDeposed {
			t.drain()
			return
		}
		if rerr != nil && cause == nil {
			cause = rerr
			t.protocolError(rerr)
		}
	}
	if cause == nil && !isNormalClose(err) && !c.isClosing() {
		cause = err
	}
	t.mu.Lock()
	t.ended = true
	owner := !t.handing.Load()
	if t.room != nil {
		close(t.room)
		t.room = nil
	}
	t.mu.Unlock()
	if owner {
		cause = c.endInput(cause)
	}
	c.finish(cause)
}

// protocolError says why the connection closes, and lets the client close.
func (t *wsTransport) protocolError(err error) {
	c := t.c
	c.srv.log.Debug("hub: closing a connection on a protocol error", "conn", c.id, "error", err)
	if c.handshook.Load() {
		c.Close(err)
	} else {
		c.refuse(textHandshakeTimeout)
	}
}

// read handles a frame, or queues it for a deposed reader that still handles.
func (t *wsTransport) read(r io.Reader) error {
	if !t.handing.Load() { // the common case, without the lock: queue checks again under it
		return t.c.read(r, true)
	}
	for {
		b := outq.Get()
		n, err := r.Read(b.B[:cap(b.B)])
		b.B = b.B[:n]
		if n > 0 {
			t.c.lastRead.Store(time.Now().UnixNano())
		}
		if n > 0 && !t.queue(b) {
			// The deposed reader is done: this reader handles from here on,
			// starting with what it has read.
			if c := t.c; c.in == nil {
				c.in = b
			} else {
				c.in.B = append(c.in.B, b.B...)
				b.Free()
			}
			return t.c.read(r, true)
		}
		if n == 0 {
			b.Free()
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// queue hands b to the deposed reader, waiting while the inbox is full. It
// reports false, keeping b, when the deposed reader is done.
func (t *wsTransport) queue(b *outq.Buffer) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for t.handing.Load() && t.inboxN >= maxInbox {
		if t.room == nil {
			t.room = make(chan struct{})
		}
		room := t.room
		t.mu.Unlock()
		<-room
		t.mu.Lock()
	}
	if !t.handing.Load() {
		return false
	}
	t.inbox = append(t.inbox, b)
	t.inboxN += len(b.B)
	return true
}

// drain is a deposed reader's last work: it handles what the standby queued
// for it, in order, then leaves the connection to the standby. If the socket
// ended meanwhile, it drops what is left and releases the read buffer.
func (t *wsTransport) drain() {
	c := t.c
	for {
		t.mu.Lock()
		if len(t.inbox) == 0 || t.ended {
			ended := t.ended
			for _, b := range t.inbox {
				b.Free()
			}
			t.inbox, t.inboxN = nil, 0
			t.handing.Store(false)
			if t.room != nil {
				close(t.room)
				t.room = nil
			}
			t.mu.Unlock()
			if ended {
				c.endInput(nil)
			}
			return
		}
		b := t.inbox[0]
		t.inbox = t.inbox[1:]
		t.inboxN -= len(b.B)
		if t.room != nil {
			close(t.room)
			t.room = nil
		}
		t.mu.Unlock()
		if c.in == nil {
			c.in = b
		} else {
			c.in.B = append(c.in.B, b.B...)
			b.Free()
		}
		err := c.parse()
		if err == nil && len(c.in.B) == 0 {
			c.in.Free()
			c.in = nil
		}
		c.writeReplies()
		if err != nil {
			t.protocolError(err)
		}
	}
}

// isNormalClose reports whether err is the client closing the socket with a
// close frame, whatever its code: the official client sends none (1005) when it
// gives up on the server. 1006 is what gorilla reports for a socket that ended
// without one.
func isNormalClose(err error) bool {
	var ce *websocket.CloseError
	return errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure
}

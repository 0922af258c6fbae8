package transport

import (
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// closeTimeout bounds the wait for the client's answer to a closing handshake.
const closeTimeout = 5 * time.Second

// takeoverAfter is how long the handler may hold a message before the
// heartbeat starts a standby reader.
const takeoverAfter = 20 * time.Millisecond

// maxInbox is how many bytes a standby reader queues for the handler before
// it stops reading, which holds the client back.
const maxInbox = 64 << 10

// readAhead is the most of one message Next returns at once: a larger
// message comes in parts.
const readAhead = 64 << 10

// What the handler does with the socket, in wsTransport.state.
const (
	wsReading  int32 = iota // in Next, or not started: it reads the socket itself
	wsHandling              // handles what Next returned; may block in user code
	wsDeposed               // a standby reader took the socket over meanwhile
)

// wsTransport is a WebSocket. The handler's goroutine usually reads the socket
// itself, in Next: a message costs no goroutine. Between two calls of Next it
// runs whatever the handler runs, which may block, and a socket that nobody
// reads cannot tell that the client went away; so when the heartbeat finds
// the handler holding a message for longer than takeoverAfter, it starts a
// standby reader. The standby reads the socket from then on, ending the
// connection the moment the socket ends, and queues what it reads (up to
// maxInbox, then it stops reading). Next takes from the queue, in order;
// once the queue is empty, the standby hands the next message to Next and
// the socket back to the handler's goroutine.
type wsTransport struct {
	c     *Conn
	ws    *websocket.Conn
	frame io.Reader // the message being read, when a part of it is left; owned by whoever reads
	text  bool      // frame is text; owned as frame is
	tail  runeTail  // the start of a UTF-8 sequence the last part of frame cut off; owned as frame is
	buf   *[]byte   // what the handler holds; owned by the handler's goroutine
	state atomic.Int32
	gone  atomic.Bool // a stateful connection lost this socket

	// What write needs, here rather than on the Conn so that a write, which
	// a broadcast makes for every connection, touches one object fewer.
	out     atomic.Int32  // the Format to write: Conn.Format's
	writeBy atomic.Int64  // the Conn's SetWriteDeadline, in unix nanoseconds; 0 for none
	timeout time.Duration // Options.WriteTimeout

	mu       sync.Mutex
	inbox    []*[]byte     // what the standby read, for the handler
	inboxN   int           // bytes in inbox
	room     chan struct{} // closed when the handler takes from a full inbox
	standing bool          // a standby reader runs
	waiting  bool          // the handler waits in Next for the standby
	handoff  chan *[]byte  // the standby's last message, or nil when the socket ended
}

// serveWebSocket upgrades the request and serves the connection.
func (s *Server) serveWebSocket(w http.ResponseWriter, r *http.Request, c *Conn) {
	t := s.upgrade(w, r, c)
	if t == nil {
		return
	}
	c.t = t
	if c.sw != nil {
		c.sw.cur = t
		c.sw.curA.Store(t)
		c.t = c.sw
	}
	if !s.track(c) {
		t.ws.Close()
		return
	}
	// Serving on a goroutine of our own lets the HTTP handler return, and
	// net/http free its buffers.
	go s.serve(c)
}

// upgrade upgrades the request to a WebSocket of c; it returns nil when the
// upgrader refused, and answered.
func (s *Server) upgrade(w http.ResponseWriter, r *http.Request, c *Conn) *wsTransport {
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.log.Debug("transport: WebSocket upgrade failed", "url", RedactURL(r.URL), "error", err)
		return nil // the upgrader has answered
	}
	// A client's Close frame is answered with 1000, whatever its code, as
	// ASP.NET Core answers it. gorilla's default handler echoes the code,
	// and a browser's close() sends none: its answer would say 1005, which
	// the official clients take for an unclean close.
	ws.SetCloseHandler(func(int, string) error {
		msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
		ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeTimeout))
		return nil
	})
	t := &wsTransport{c: c, ws: ws, timeout: s.opts.WriteTimeout}
	if f := c.format.Load(); f != 0 { // a reattach: the handler chose
		t.out.Store(f)
	} else {
		t.out.Store(c.received.Load())
	}
	t.writeBy.Store(c.writeBy.Load())
	return t
}

func (t *wsTransport) next() ([]byte, error) {
	t.release()
	if !t.state.CompareAndSwap(wsHandling, wsReading) && t.state.Load() == wsDeposed {
		return t.fromStandby()
	}
	b, err := t.read()
	if err != nil {
		return nil, t.fail(err)
	}
	t.buf = b
	t.state.Store(wsHandling)
	return *b, nil
}

// read reads the next message, or readAhead bytes of it, from the socket.
func (t *wsTransport) read() (*[]byte, error) {
	if t.frame == nil {
		kind, r, err := t.ws.NextReader()
		if err != nil {
			return nil, err
		}
		t.frame = r
		t.text = kind == websocket.TextMessage
		f := Text
		if kind == websocket.BinaryMessage {
			f = Binary
		}
		t.c.received.Store(int32(f))
		if t.c.format.Load() == 0 {
			t.out.Store(int32(f))
		}
	}
	b := getBuf()
	*b = t.tail.take(*b)
	for {
		in := *b
		if len(in) == cap(in) {
			in = append(in, 0)[:len(in)]
		}
		n, err := t.frame.Read(in[len(in):cap(in)])
		*b = in[:len(in)+n]
		if err == io.EOF {
			t.frame = nil
			break
		}
		if err != nil {
			freeBuf(b)
			return nil, err
		}
		if len(*b) >= readAhead {
			if t.text {
				// The rest of the message comes in the next part: each
				// part of a text message is UTF-8.
				*b = t.tail.cut(*b)
			}
			break
		}
	}
	t.c.lastRead.Store(time.Now().UnixNano())
	return b, nil
}

// fail ends the connection on a read error and returns what Next returns.
func (t *wsTransport) fail(err error) error {
	var cause error
	if !isNormalClose(err) && !t.c.closing.Load() {
		cause = err
	}
	if sw := t.c.sw; sw != nil && sw.lost(t, cause) {
		return io.EOF // the connection waits for another socket
	}
	t.c.end(cause)
	return t.c.nextErr()
}

// release gives back what the handler held.
func (t *wsTransport) release() {
	if t.buf != nil {
		freeBuf(t.buf)
		t.buf = nil
	}
}

// tick starts a standby reader when the handler holds a message for long.
func (t *wsTransport) tick(now time.Time) {
	if t.state.Load() != wsHandling || now.UnixNano()-t.c.lastRead.Load() <= int64(takeoverAfter) {
		return
	}
	t.mu.Lock()
	if t.state.CompareAndSwap(wsHandling, wsDeposed) {
		if t.handoff == nil {
			t.handoff = make(chan *[]byte, 1)
		}
		t.standing = true
		go t.standby()
	}
	t.mu.Unlock()
}

// standby reads the socket while the handler is busy, until the socket ends
// or the handler waits for what comes next.
func (t *wsTransport) standby() {
	for {
		b, err := t.read()
		t.mu.Lock()
		if err != nil {
			t.standing = false
			if t.waiting {
				t.waiting = false
				t.handoff <- nil
			}
			t.mu.Unlock()
			t.fail(err)
			return
		}
		if t.waiting {
			// The handler waits: it reads the socket again from here on.
			t.waiting, t.standing = false, false
			t.state.Store(wsHandling)
			t.mu.Unlock()
			t.handoff <- b
			return
		}
		for t.inboxN >= maxInbox && !t.c.ended() && !t.gone.Load() {
			if t.room == nil {
				t.room = make(chan struct{})
			}
			room := t.room
			t.mu.Unlock()
			<-room
			t.mu.Lock()
		}
		t.inbox = append(t.inbox, b)
		t.inboxN += len(*b)
		t.mu.Unlock()
	}
}

// fromStandby is Next while a standby reads the socket.
func (t *wsTransport) fromStandby() ([]byte, error) {
	t.mu.Lock()
	if t.c.ended() {
		t.dropInboxLocked()
		t.mu.Unlock()
		return nil, t.c.nextErr()
	}
	if len(t.inbox) > 0 {
		b := t.inbox[0]
		t.inbox[0] = nil
		t.inbox = t.inbox[1:]
		t.inboxN -= len(*b)
		t.roomLocked()
		t.mu.Unlock()
		t.buf = b
		return *b, nil
	}
	if !t.standing { // it saw the socket end
		t.mu.Unlock()
		return nil, t.c.nextErr()
	}
	t.waiting = true
	t.mu.Unlock()
	b := <-t.handoff
	if b == nil {
		return nil, t.c.nextErr()
	}
	t.buf = b
	return *b, nil
}

// roomLocked wakes a standby waiting for room in the inbox.
func (t *wsTransport) roomLocked() {
	if t.room != nil {
		close(t.room)
		t.room = nil
	}
}

func (t *wsTransport) dropInboxLocked() {
	for _, b := range t.inbox {
		freeBuf(b)
	}
	t.inbox, t.inboxN = nil, 0
	t.roomLocked()
}

func (t *wsTransport) write(p []byte) error {
	kind := websocket.TextMessage
	if Format(t.out.Load()) == Binary {
		kind = websocket.BinaryMessage
	}
	by := time.Now().Add(t.timeout)
	if d := t.writeBy.Load(); d != 0 && d < by.UnixNano() {
		by = time.Unix(0, d)
	}
	t.ws.SetWriteDeadline(by)
	return t.ws.WriteMessage(kind, p)
}

// close sends a Close frame; the reader then waits for the client's answer
// for closeTimeout at most: a silent client must not hold Shutdown long.
func (t *wsTransport) close() {
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	t.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeTimeout))
	t.ws.SetReadDeadline(time.Now().Add(closeTimeout))
}

func (t *wsTransport) abort() {
	t.ws.Close()
	t.mu.Lock()
	t.roomLocked()
	t.mu.Unlock()
}

// drain reads until the socket ends: the client's answer to the Close frame.
func (t *wsTransport) drain() {
	for {
		if _, err := t.next(); err != nil {
			break
		}
	}
	t.release()
	t.ws.Close()
	t.mu.Lock()
	t.dropInboxLocked()
	t.mu.Unlock()
}

// isNormalClose reports whether err is the client closing the socket with a
// close frame, whatever its code: the official client sends none (1005) when
// it gives up on the server. 1006 is what gorilla reports for a socket that
// ended without one.
func isNormalClose(err error) bool {
	var ce *websocket.CloseError
	return errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure
}

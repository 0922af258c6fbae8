package transport

import (
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// ErrReattached is what Next returns, once, when a stateful connection goes
// on over a new WebSocket (see Conn.Stateful): a message the old socket cut
// short is lost, and the handler drops what it holds of one. The connection
// is open; the next call of Next reads the new socket.
var ErrReattached = errors.New("transport: the client reattached over a new WebSocket")

// errReplaced ends a socket that a reattach replaced while it looked open.
var errReplaced = errors.New("transport: replaced by a reattach")

// Stateful reports whether the connection survives the loss of its
// WebSocket: the client asked for stateful reconnect at negotiate, the
// server allows it (Options.AllowStatefulReconnects), and the transport is
// WebSockets. Its handler then keeps what it sent until the client
// acknowledges it, and sends it again when the client reattaches (the hub
// protocol's Ack and Sequence messages): OnDrop and OnReattach tell it
// when, and Next returns ErrReattached.
func (c *Conn) Stateful() bool { return c.sw != nil }

// OnDrop registers f to run when a stateful connection loses its WebSocket
// without a clean close: the connection stays open for the server's
// DisconnectTimeout, waiting for the client to reattach, and ends after it.
// Writes meanwhile fail. f runs before a reattach is accepted, on whichever
// goroutine saw the drop; it must not block.
func (c *Conn) OnDrop(f func()) {
	c.mu.Lock()
	c.onDrop = f
	c.mu.Unlock()
}

// OnReattach registers f to run when the client of a stateful connection
// opened a new WebSocket with the connection's token, after OnDrop's f and
// before the new socket is read: writes from then on go to the new socket.
// It must not block.
func (c *Conn) OnReattach(f func()) {
	c.mu.Lock()
	c.onAttach = f
	c.mu.Unlock()
}

// websocket returns the connection's current WebSocket, or nil.
func (c *Conn) websocket() *wsTransport {
	switch t := c.t.(type) {
	case *wsTransport:
		return t
	case *swapTransport:
		return t.curA.Load()
	}
	return nil
}

// swapTransport is the transport of a stateful connection: WebSockets, one
// after the other, as the client reattaches.
type swapTransport struct {
	c    *Conn
	curA atomic.Pointer[wsTransport] // cur, for writes

	// hooks is held while a drop is marked and told, and for a whole
	// reattach: a reattach never overtakes the drop before it. attaching
	// makes reattaches one at a time.
	hooks, attaching sync.Mutex

	mu    sync.Mutex
	cur   *wsTransport
	gone  bool          // cur's socket is gone; the connection waits for another
	back  chan struct{} // closed when a new socket replaces cur
	timer *time.Timer   // ends a lost connection after DisconnectTimeout

	read *wsTransport // the socket the handler reads; the handler's
}

func (s *swapTransport) current() (*wsTransport, chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur, s.back
}

func (s *swapTransport) next() ([]byte, error) {
	for {
		t, back := s.current()
		if s.read != t {
			prev := s.read
			s.read = t
			if prev != nil {
				prev.release()
				prev.mu.Lock()
				prev.dropInboxLocked()
				prev.mu.Unlock()
				return nil, ErrReattached
			}
		}
		b, err := t.next()
		if err == nil {
			return b, nil
		}
		if s.c.ended() {
			return nil, s.c.nextErr()
		}
		// The socket is lost (or a standby reader is about to say so):
		// wait for the next one, or for the end.
		select {
		case <-back:
		case <-s.c.ctx.Done():
			return nil, s.c.nextErr()
		}
	}
}

// lost is a socket's end, which t's reader saw: a clean close (cause nil)
// or a close by the server ends the connection; any other end of its
// current socket leaves it waiting for a reattach. It reports whether the
// connection goes on.
func (s *swapTransport) lost(t *wsTransport, cause error) bool {
	c := s.c
	if cause == nil || c.closing.Load() {
		return t != s.currentSocket() && !c.ended()
	}
	s.hooks.Lock()
	defer s.hooks.Unlock()
	s.mu.Lock()
	if c.ended() {
		s.mu.Unlock()
		return false
	}
	if t != s.cur || s.gone {
		s.mu.Unlock()
		return true
	}
	s.gone = true
	s.timer = time.AfterFunc(c.srv.opts.DisconnectTimeout, func() { c.end(cause) })
	s.mu.Unlock()
	t.gone.Store(true)
	t.abort()
	c.srv.log.Debug("transport: a stateful connection lost its WebSocket; waiting for the client to reattach", "conn", c.id, "error", cause)
	c.mu.Lock()
	f := c.onDrop
	c.mu.Unlock()
	if f != nil {
		f()
	}
	return true
}

func (s *swapTransport) currentSocket() *wsTransport {
	t, _ := s.current()
	return t
}

// attach makes t the connection's socket; it reports false when the
// connection has ended.
func (s *swapTransport) attach(t *wsTransport) bool {
	c := s.c
	s.attaching.Lock()
	defer s.attaching.Unlock()
	if old := s.currentSocket(); !s.lost(old, errReplaced) {
		return false
	}
	s.hooks.Lock()
	defer s.hooks.Unlock()
	s.mu.Lock()
	if c.ended() {
		s.mu.Unlock()
		return false
	}
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	s.cur, s.gone = t, false
	s.curA.Store(t)
	close(s.back)
	s.back = make(chan struct{})
	s.mu.Unlock()
	c.lastRead.Store(time.Now().UnixNano())
	c.mu.Lock()
	f := c.onAttach
	c.mu.Unlock()
	if f != nil {
		f()
	}
	return true
}

// stop stops the wait for a reattach: the connection has ended.
func (s *swapTransport) stop() {
	s.mu.Lock()
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	s.mu.Unlock()
}

// write writes to the current socket. A failed write ends the socket, which
// its reader then sees: the connection waits for a reattach.
func (s *swapTransport) write(p []byte) error {
	t := s.curA.Load()
	err := t.write(p)
	if err != nil {
		t.ws.Close()
	}
	return err
}

func (s *swapTransport) tick(now time.Time) {
	s.mu.Lock()
	t, lost := s.cur, s.gone
	s.mu.Unlock()
	if !lost {
		t.tick(now)
	}
}

// close closes the current socket gracefully; a connection without one
// ends at once.
func (s *swapTransport) close() {
	s.mu.Lock()
	t, lost := s.cur, s.gone
	s.mu.Unlock()
	if lost {
		s.c.end(nil)
		return
	}
	t.close()
}

func (s *swapTransport) abort() { s.currentSocket().abort() }

func (s *swapTransport) drain() {
	t := s.currentSocket()
	if s.read != nil && s.read != t {
		s.read.release()
	}
	t.drain()
}

// reattach serves a WebSocket request with the token of an open stateful
// connection: the connection goes on over the new socket, and an open old
// one is closed, as ASP.NET Core does.
func (s *Server) reattach(w http.ResponseWriter, r *http.Request, c *Conn, ident *Identity) {
	if c.ended() || userOf(ident) != userOf(c.ident) {
		s.reject(w, r, "No Connection with that ID", http.StatusNotFound)
		return
	}
	t := s.upgrade(w, r, c)
	if t == nil {
		return
	}
	if !c.sw.attach(t) {
		t.ws.Close()
		return
	}
	s.log.Debug("transport: a client reattached to its stateful connection", "conn", c.id)
}

func userOf(ident *Identity) string {
	if ident == nil {
		return ""
	}
	return ident.UserID
}

package hub

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hubgen/hubgen/runtime/protocol"
)

// Transports is a set of transports a hub accepts.
type Transports int

// The transports, as the official clients number them.
const (
	WebSockets       Transports = 1
	ServerSentEvents Transports = 2
	LongPolling      Transports = 4
	AllTransports               = WebSockets | ServerSentEvents | LongPolling
)

// available lists the transports of t as negotiate describes them, in the
// order clients should try them.
func (t Transports) available() []availableTransport {
	var list []availableTransport
	if t&WebSockets != 0 {
		list = append(list, availableTransport{"WebSockets", []string{"Text", "Binary"}})
	}
	if t&ServerSentEvents != 0 {
		list = append(list, availableTransport{"ServerSentEvents", []string{"Text"}})
	}
	if t&LongPolling != 0 {
		list = append(list, availableTransport{"LongPolling", []string{"Text", "Binary"}})
	}
	return list
}

// transport carries one connection's bytes: WebSockets, Server-Sent Events or
// Long Polling.
type transport interface {
	// name is the transport's name in negotiate.
	name() string
	// supports reports whether the transport carries the transfer format.
	supports(protocol.TransferFormat) bool
	// write sends one batch of whole messages. Only the connection's writer
	// calls it, one call at a time.
	write(p []byte) error
	// closeWrite ends the server's side of the transport after the last write.
	closeWrite()
	// abort closes the transport at once.
	abort()
	// direct reports whether the goroutine that reads a request may write the
	// replies itself; a long poll's writes wait for the next poll instead.
	direct() bool
	// tick, called by the heartbeat, ends the transport if a timeout it has no
	// deadline for passed, and reports whether the connection needs keep-alive
	// pings.
	tick(now time.Time) (ping bool)
}

// errTimeout is the cause of a connection closed by a heartbeat timeout.
var errTimeout = timeoutError{}

type timeoutError struct{}

func (timeoutError) Error() string { return "hub: timeout: nothing received from the client" }
func (timeoutError) Timeout() bool { return true }

// open starts a connection on the transport the request asks for: a
// negotiated one, by its token, or a new one when a WebSocket client skipped
// negotiation.
func (s *Server) open(w http.ResponseWriter, r *http.Request, kind Transports) {
	if s.opts.Transports&kind == 0 {
		s.reject(w, r, "The transport is not allowed on this hub.", http.StatusNotFound)
		return
	}
	ident, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	token := r.URL.Query().Get("id")
	if token == "" && kind != WebSockets {
		s.reject(w, r, "Connection ID required", http.StatusBadRequest)
		return
	}
	id := ""
	s.mu.Lock()
	if token == "" {
		id = newID()
	} else if p, ok := s.pending[token]; ok {
		delete(s.pending, token)
		id = p.id
	}
	s.mu.Unlock()
	if id == "" {
		if s.lookup(token) != nil {
			s.reject(w, r, "Connection already has an active transport.", http.StatusConflict)
			return
		}
		s.reject(w, r, "No Connection with that ID", http.StatusNotFound)
		return
	}
	switch kind {
	case WebSockets:
		s.serveWebSocket(w, r, id, token, ident)
	case ServerSentEvents:
		s.serveEvents(w, r, id, token, ident)
	default:
		s.startPolling(w, r, id, token, ident)
	}
}

// lookup finds the open connection of a token.
func (s *Server) lookup(token string) *Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens[token]
}

// post takes in the messages a Server-Sent Events or Long Polling client sends.
func (s *Server) post(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(w, r); !ok {
		return
	}
	c, ok := s.requestConn(w, r)
	if !ok {
		return
	}
	if _, ws := c.t.(*wsTransport); ws {
		s.reject(w, r, "POST requests are not allowed for WebSocket connections.", http.StatusMethodNotAllowed)
		return
	}
	c.posting.Lock()
	defer c.posting.Unlock()
	if err := c.read(r.Body, false); err != nil {
		s.log.Debug("hub: closing a connection on a protocol error", "conn", c.id, "error", err)
		if c.handshook.Load() {
			c.Close(err)
		} else {
			c.refuse(textHandshakeTimeout)
		}
	}
	w.WriteHeader(http.StatusOK)
}

// requestConn finds the connection a request names; it answers 400 or 404
// when there is none.
func (s *Server) requestConn(w http.ResponseWriter, r *http.Request) (*Conn, bool) {
	token := r.URL.Query().Get("id")
	if token == "" {
		s.reject(w, r, "Connection ID required", http.StatusBadRequest)
		return nil, false
	}
	c := s.lookup(token)
	if c == nil {
		s.reject(w, r, "No Connection with that ID", http.StatusNotFound)
		return nil, false
	}
	return c, true
}

// httpTransport is what Server-Sent Events and Long Polling share: the end of
// the connection, signalled once.
type httpTransport struct {
	c       *Conn
	done    chan struct{}
	endOnce sync.Once
	cause   error // why it ended; nil for a clean end
}

func newHTTPTransport(c *Conn) httpTransport {
	return httpTransport{c: c, done: make(chan struct{})}
}

// end ends the transport; the first cause wins.
func (t *httpTransport) end(cause error) {
	t.endOnce.Do(func() {
		t.cause = cause
		close(t.done)
	})
}

func (t *httpTransport) closeWrite() { t.end(nil) }
func (t *httpTransport) abort()      { t.end(errAborted) }

var errAborted = errors.New("hub: connection aborted")

// timedOut ends the transport when the handshake, which comes in a POST, is
// late, or when nothing happened since last for timeout.
func (t *httpTransport) timedOut(now time.Time, last int64, timeout time.Duration) {
	o := &t.c.srv.opts
	late := !t.c.handshook.Load() && now.Sub(t.c.created) > o.HandshakeTimeout
	if late || last != 0 && now.UnixNano()-last > int64(timeout) {
		t.end(errTimeout)
	}
}

// finishHTTP finishes a connection on an HTTP transport once the transport has
// ended. The read buffer belongs to whoever reads a POST: if one is at it
// (in a hub method, say), it keeps the buffer, which the pool never sees again.
func (c *Conn) finishHTTP(cause error) {
	if c.posting.TryLock() {
		cause = c.endInput(cause)
		c.posting.Unlock()
	}
	c.finish(cause)
}

// wantsEvents reports whether a GET asks for Server-Sent Events.
func wantsEvents(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

// route picks what a request to the hub's path is: a transport opening, a
// poll, a send or a long-poll deletion.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && websocket.IsWebSocketUpgrade(r):
		s.open(w, r, WebSockets)
	case r.Method == http.MethodGet && wantsEvents(r):
		s.open(w, r, ServerSentEvents)
	case r.Method == http.MethodGet:
		if c := s.lookup(r.URL.Query().Get("id")); c != nil {
			s.poll(w, r, c)
			return
		}
		s.open(w, r, LongPolling)
	case r.Method == http.MethodPost:
		s.post(w, r)
	case r.Method == http.MethodDelete:
		s.deletePoll(w, r)
	default:
		w.Header().Set("Allow", "GET, POST, DELETE")
		s.reject(w, r, "Method not allowed", http.StatusMethodNotAllowed)
	}
}

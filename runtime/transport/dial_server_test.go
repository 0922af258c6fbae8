package transport_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/hubgen/hubgen/runtime/transport"
)

// echoServer is a SignalR endpoint written for the client's tests, with no
// hub above it: it negotiates, serves the three transports at /echo, and
// sends back each message it receives. The message "end" makes it end the
// connection on its side instead: a WebSocket closes with 1000, an event
// stream ends, and the next poll gets 204.
type echoServer struct {
	ts  *httptest.Server
	url string // of the endpoint

	offer      []byte // the availableTransports of negotiate, as JSON
	opts       echoOptions
	negotiates atomic.Int32 // negotiate requests
	quit       chan struct{}

	mu    sync.Mutex
	conns map[string]*echoConn // by connection token
	ids   int
}

// echoConn is a connection that negotiated: what its POSTs brought, for its
// event stream or its polls to send back.
type echoConn struct {
	echoes chan []byte
	ended  chan struct{} // closed on "end" or DELETE
	once   sync.Once
	polled bool // the first poll was answered
}

func (c *echoConn) end() { c.once.Do(func() { close(c.ended) }) }

// echoOptions change what an echoServer does.
type echoOptions struct {
	// refuse picks requests of the transports (not negotiate) to answer
	// with 403 "refused".
	refuse func(*http.Request) bool
	// wrap, when not nil, serves every request, with the echo server's
	// handler as next.
	wrap func(next http.Handler) http.Handler
}

// newEchoServer starts an echo server that offers the transports of
// transports with the formats each carries.
func newEchoServer(t testing.TB, transports transport.Transports) *echoServer {
	t.Helper()
	return newEchoServerWith(t, transports, echoOptions{})
}

// newEchoServerWith is newEchoServer with options.
func newEchoServerWith(t testing.TB, transports transport.Transports, opts echoOptions) *echoServer {
	t.Helper()
	s := &echoServer{opts: opts, conns: make(map[string]*echoConn), quit: make(chan struct{})}
	s.offer = transport.EchoOffer(transports)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /echo/negotiate", s.negotiate)
	mux.HandleFunc("/echo", s.serve)
	var h http.Handler = mux
	if opts.wrap != nil {
		h = opts.wrap(mux)
	}
	s.ts = httptest.NewServer(h)
	s.url = s.ts.URL + "/echo"
	t.Cleanup(func() {
		close(s.quit)
		s.ts.Close()
	})
	return s
}

func (s *echoServer) negotiate(w http.ResponseWriter, r *http.Request) {
	s.negotiates.Add(1)
	s.mu.Lock()
	s.ids++
	n := s.ids
	s.conns[fmt.Sprint("token-", n)] = &echoConn{echoes: make(chan []byte, 64), ended: make(chan struct{})}
	s.mu.Unlock()
	fmt.Fprintf(w, `{"negotiateVersion":1,"connectionId":"id-%d","connectionToken":"token-%d","availableTransports":%s}`, n, n, s.offer)
}

func (s *echoServer) serve(w http.ResponseWriter, r *http.Request) {
	if s.opts.refuse != nil && s.opts.refuse(r) {
		http.Error(w, "refused", http.StatusForbidden)
		return
	}
	if websocket.IsWebSocketUpgrade(r) {
		s.serveWebSocket(w, r)
		return
	}
	s.mu.Lock()
	c := s.conns[r.URL.Query().Get("id")]
	s.mu.Unlock()
	if c == nil {
		http.Error(w, "No Connection with that ID", http.StatusNotFound)
		return
	}
	switch {
	case r.Method == http.MethodPost:
		body, _ := io.ReadAll(r.Body)
		if string(body) == "end" {
			c.end()
		} else {
			c.echoes <- body
		}
	case r.Method == http.MethodDelete:
		c.end()
		w.WriteHeader(http.StatusAccepted)
	case r.Header.Get("Accept") == "text/event-stream":
		s.serveEvents(w, r, c)
	default:
		s.servePoll(w, r, c)
	}
}

// serveWebSocket echoes each message, as a message of the same type.
func (s *echoServer) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer ws.Close()
	for {
		kind, p, err := ws.ReadMessage()
		if err != nil {
			return // a close frame was answered by the Upgrader's handler
		}
		if string(p) == "end" {
			ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
			continue // until the client's close frame
		}
		if err := ws.WriteMessage(kind, p); err != nil {
			return
		}
	}
}

// serveEvents sends each echo as an event, its lines as data lines.
func (s *echoServer) serveEvents(w http.ResponseWriter, r *http.Request, c *echoConn) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Write([]byte(":\r\n"))
	w.(http.Flusher).Flush()
	for {
		select {
		case p := <-c.echoes:
			var b bytes.Buffer
			for line := range strings.SplitSeq(string(p), "\n") {
				b.WriteString("data: " + line + "\r\n")
			}
			b.WriteString("\r\n")
			w.Write(b.Bytes())
			w.(http.Flusher).Flush()
		case <-c.ended:
			return
		case <-r.Context().Done():
			return
		case <-s.quit:
			return
		}
	}
}

// servePoll answers the first poll at once, and the others with what was
// echoed since, or 204 once the connection ended.
func (s *echoServer) servePoll(w http.ResponseWriter, r *http.Request, c *echoConn) {
	s.mu.Lock()
	first := !c.polled
	c.polled = true
	s.mu.Unlock()
	if first {
		return
	}
	select {
	case p := <-c.echoes:
		w.Write(p)
	case <-c.ended:
		w.WriteHeader(http.StatusNoContent)
	case <-r.Context().Done():
	case <-s.quit:
	}
}

package transport

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// negotiate answers POST <path>/negotiate: a new connection's id, its token
// (version 1) and the transports the endpoint offers.
func (s *Server) negotiate(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		s.reject(w, r, "Method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if _, ok := s.authenticate(w, r); !ok {
		return
	}
	version := 0
	if v := queryValue(r.URL.Query(), "negotiateVersion"); v != "" {
		// ASP.NET Core refuses a version that is not a 32-bit integer, or is
		// below its minimum (0), with 200 and a body holding only the error,
		// which the official clients report as the reason the start failed.
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
		text := ""
		switch {
		case err != nil:
			text = "The client requested a non-integer protocol version."
		case n < 0:
			text = fmt.Sprintf("The client requested version '%d', but the server does not support this version.", n)
		}
		if text != "" {
			s.log.Debug("transport: negotiate refused", "url", RedactURL(r.URL), "reason", text)
			writeJSON(w, struct {
				Error string `json:"error"`
			}{text})
			return
		}
		version = int(min(n, 1))
	}
	resp := negotiateResponse{
		NegotiateVersion:    version,
		ConnectionID:        newID(),
		AvailableTransports: s.opts.Transports.available(),
	}
	// ASP.NET Core answers the flag only to a client that asked for it:
	// one that did not would fail its start on it.
	resp.UseStatefulReconnect = s.opts.AllowStatefulReconnects &&
		strings.EqualFold(queryValue(r.URL.Query(), "useStatefulReconnect"), "true")
	token := resp.ConnectionID
	if version > 0 {
		token = newID()
		resp.ConnectionToken = token
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.reject(w, r, "The server is shutting down.", http.StatusServiceUnavailable)
		return
	}
	if len(s.pending) >= s.opts.MaxPending {
		s.mu.Unlock()
		s.reject(w, r, "Too many connections are starting; try again later.", http.StatusServiceUnavailable)
		return
	}
	s.pending[token] = pendingConn{id: resp.ConnectionID, created: time.Now(), stateful: resp.UseStatefulReconnect}
	s.startBeatLocked()
	s.mu.Unlock()
	writeJSON(w, resp)
}

func writeJSON(w http.ResponseWriter, v any) {
	body, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache, no-store")
	w.Write(body)
}

// queryValue reads a query parameter whose name matches key ignoring case, as
// ASP.NET Core reads negotiate's.
func queryValue(q url.Values, key string) string {
	if v := q.Get(key); v != "" {
		return v
	}
	for k, v := range q {
		if strings.EqualFold(k, key) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// route picks what a request to the endpoint's path is: a transport opening,
// a poll, a send or a long-poll deletion.
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

// wantsEvents reports whether a GET asks for Server-Sent Events.
func wantsEvents(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

// open starts a connection on the transport the request asks for: a
// negotiated one, by its token, or a new one when a WebSocket client skipped
// negotiation.
func (s *Server) open(w http.ResponseWriter, r *http.Request, kind Transports) {
	if s.opts.Transports&kind == 0 {
		s.reject(w, r, "The transport is not allowed on this endpoint.", http.StatusNotFound)
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
	id, stateful := "", false
	s.mu.Lock()
	if token == "" {
		id = newID()
	} else if p, ok := s.pending[token]; ok {
		delete(s.pending, token)
		id, stateful = p.id, p.stateful && kind == WebSockets
	}
	s.mu.Unlock()
	if id == "" {
		if c := s.lookup(token); c != nil {
			if c.sw != nil && kind == WebSockets {
				s.reattach(w, r, c, ident)
				return
			}
			s.reject(w, r, "Connection already has an active transport.", http.StatusConflict)
			return
		}
		s.reject(w, r, "No Connection with that ID", http.StatusNotFound)
		return
	}
	c := newConn(s, kind, id, token, r, ident)
	if stateful {
		c.sw = &swapTransport{c: c, back: make(chan struct{})}
	}
	switch kind {
	case WebSockets:
		s.serveWebSocket(w, r, c)
	case ServerSentEvents:
		s.serveEvents(w, r, c)
	default:
		s.startPolling(w, r, c)
	}
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
	if c == nil || c.ended() {
		s.reject(w, r, "No Connection with that ID", http.StatusNotFound)
		return nil, false
	}
	return c, true
}

// post takes in the bytes a Server-Sent Events or Long Polling client sends:
// it hands the body to the connection's reader and answers once the reader
// has taken all of it.
func (s *Server) post(w http.ResponseWriter, r *http.Request) {
	// A body that is refused is not read: the TCP connection closes after
	// the answer, which net/http would otherwise drain it for. take says
	// the same for what it does not read.
	w.Header().Set("Connection", "close")
	if _, ok := s.authenticate(w, r); !ok {
		return
	}
	c, ok := s.requestConn(w, r)
	if !ok {
		return
	}
	in, ok := c.t.(interface{ input() *postInput })
	if !ok {
		s.reject(w, r, "POST requests are not allowed for WebSocket connections.", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Del("Connection")
	switch err := in.input().take(w, r, s.opts.MaxPostSize); err {
	case nil, ErrAborted:
		// Taken, or the connection ended while the body was being read:
		// the POST was accepted, what came too late is not read.
		w.WriteHeader(http.StatusOK)
	case ErrPostTooLarge:
		s.log.Warn("transport: closing a connection that sent a POST larger than MaxPostSize", "conn", c.id, "limit", s.opts.MaxPostSize)
		c.Abort(ErrPostTooLarge)
		s.reject(w, r, "Request body too large.", http.StatusRequestEntityTooLarge)
	default:
		// The connection ended meanwhile, or the client went away.
		s.reject(w, r, "No Connection with that ID", http.StatusNotFound)
	}
}

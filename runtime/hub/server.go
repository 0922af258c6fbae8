// Package hub is the server side of SignalR: an http.Handler per hub that speaks
// the ASP.NET Core SignalR protocol, so that the official JavaScript and .NET
// clients, and hubgen's Go client, connect to Go hubs.
//
// A Server dispatches invocations through a table of Methods, each of which
// decodes its own arguments; hubgen generates the table from a Go interface, so
// nothing is looked up by reflection. Clients sends to connections from anywhere
// (a hub method or a background worker), through a LifetimeManager that tracks
// connections, groups and users in memory or, with a backplane, across servers.
//
// Each connection has one goroutine that reads from its transport and runs its
// invocations (one at a time and in order, by default), and a writer that exists
// only while there is something to send: queued messages go out together in one
// frame. A broadcast is encoded once per protocol. A connection that falls too
// far behind, or whose transport does not take a write within the send timeout,
// is closed; the others never wait for it.
//
// User code — hub methods, stream sequences, Options.Authorize, filters,
// OnConnected and OnDisconnected, and the encoders of values
// (MarshalJSON, MarshalText, MessagePack encoders) — never runs while a lock of
// the runtime is held. A value is encoded by whoever sends it, before it is
// queued, inside a recover: one that cannot be encoded fails that message (an
// error Completion, or an error from Send or Invoke), never the connection.
// Where user code runs, and what it holds back when it blocks:
//   - a hub method, when invocations run one at a time, runs on the
//     connection's reader: the client's next messages wait for it, as in
//     ASP.NET Core. Over WebSockets a standby reader takes the socket over
//     within a heartbeat (a second), so that a client that goes away ends
//     the connection's context at once;
//   - with MaxParallelInvocations above 1, hub methods, and always streams and
//     methods with uploads, run on goroutines of their own;
//   - OnConnected runs on the reader before the connection's first
//     invocation; OnDisconnected runs on the goroutine that saw the transport
//     end, after the connection's context ended;
//   - the values of a broadcast are encoded by the goroutine that sends it.
//
// Security is in Options: Authenticate turns each request into an Identity
// (BearerToken reads the token clients send) or refuses it with a 401;
// Authorize allows or refuses each invocation; Filters wrap invocations,
// connects and disconnects as ASP.NET Core's hub filters do; AllowedOrigins
// opens the hub to other sites, for WebSockets and with CORS. Limits bound
// what one client may cost: the size of a message (and its nesting depth, the
// protocol's), its parallel invocations, its streams, its queue of unsent
// bytes, the time to handshake, and the negotiations waiting for a transport.
// The logs never hold a bearer token or a connection token.
package hub

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hubgen/hubgen/runtime/protocol"
)

// Server is the http.Handler of one hub. Mount it at the hub's path and at the
// path followed by /negotiate (Mount does both).
type Server struct {
	opts     Options
	log      *slog.Logger
	methods  methodTable
	upgrader websocket.Upgrader

	// Options.Filters, by kind.
	invokeFilters, connectFilters, disconnectFilters []Filter

	mu      sync.Mutex
	pending map[string]pendingConn // negotiated, by connection token
	tokens  map[string]*Conn       // open, by connection token
	conns   map[*Conn]struct{}
	beating bool          // the heartbeat goroutine runs
	wake    chan struct{} // capacity 1: Shutdown, or its last connection gone, asks the heartbeat to look again
	closed  bool          // Shutdown was called
	drained chan struct{} // closed when the last connection is gone after Shutdown
}

type pendingConn struct {
	id      string
	created time.Time
}

// New returns the server of a hub whose clients may call methods. It panics if
// two methods share a name, ignoring case, as net/http panics on a pattern
// registered twice: the table is the program's, not its input.
func New(methods []Method, opts Options) *Server {
	table, err := newMethodTable(methods)
	if err != nil {
		panic(err)
	}
	s := &Server{
		opts:    opts.withDefaults(),
		methods: table,
		pending: make(map[string]pendingConn),
		tokens:  make(map[string]*Conn),
		conns:   make(map[*Conn]struct{}),
		wake:    make(chan struct{}, 1),
	}
	s.log = s.opts.Logger
	s.splitFilters()
	if pu, ok := s.opts.Lifetime.(ProtocolUser); ok {
		pu.UseProtocols(slices.Clone(s.opts.Protocols))
	}
	s.upgrader = websocket.Upgrader{
		ReadBufferSize:  1024,
		WriteBufferSize: 4096,
		WriteBufferPool: &writeBuffers,
		CheckOrigin:     s.checkOrigin,
	}
	return s
}

// Mount registers s on mux at path and at path + "/negotiate".
func (s *Server) Mount(mux *http.ServeMux, path string) {
	path = strings.TrimSuffix(path, "/")
	mux.Handle(path, s)
	mux.Handle(path+"/negotiate", s)
}

// Clients returns the hub's clients, to send to them from anywhere.
func (s *Server) Clients() Clients { return Clients{lm: s.opts.Lifetime} }

// Groups returns the hub's group manager.
func (s *Server) Groups() Groups { return Groups{lm: s.opts.Lifetime} }

// ServeHTTP serves negotiate and the transports.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.cors(w, r) {
		return
	}
	if strings.HasSuffix(strings.ToLower(r.URL.Path), "/negotiate") {
		s.negotiate(w, r)
		return
	}
	s.route(w, r)
}

// authenticate runs Options.Authenticate; on failure it answers 401 with an
// empty body, as ASP.NET Core does, and returns false.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (*Identity, bool) {
	if s.opts.Authenticate == nil {
		return nil, true
	}
	ident, err := s.opts.Authenticate(r)
	if err != nil {
		// The error may quote what the client sent: no secret of the request
		// goes to the log.
		s.log.Debug("hub: authentication failed", "method", r.Method, "url", RedactURL(r.URL), "error", scrub(err.Error(), r))
		w.WriteHeader(http.StatusUnauthorized)
		return nil, false
	}
	return ident, true
}

// negotiateResponse is the body of a successful negotiate.
type negotiateResponse struct {
	NegotiateVersion    int                  `json:"negotiateVersion"`
	ConnectionID        string               `json:"connectionId"`
	ConnectionToken     string               `json:"connectionToken,omitempty"`
	AvailableTransports []availableTransport `json:"availableTransports"`
}

type availableTransport struct {
	Transport       string   `json:"transport"`
	TransferFormats []string `json:"transferFormats"`
}

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
		// ASP.NET Core refuses a version that is not a 32-bit integer, or is below
		// its minimum (0), with 200 and a body holding only the error, which the
		// official clients report as the reason the start failed.
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
		text := ""
		switch {
		case err != nil:
			text = "The client requested a non-integer protocol version."
		case n < 0:
			text = fmt.Sprintf("The client requested version '%d', but the server does not support this version.", n)
		}
		if text != "" {
			s.log.Debug("hub: negotiate refused", "url", RedactURL(r.URL), "reason", text)
			body, _ := json.Marshal(struct {
				Error string `json:"error"`
			}{text})
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-cache, no-store")
			w.Write(body)
			return
		}
		version = int(min(n, 1))
	}
	resp := negotiateResponse{
		NegotiateVersion:    version,
		ConnectionID:        newID(),
		AvailableTransports: s.opts.Transports.available(),
	}
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
	s.pending[token] = pendingConn{id: resp.ConnectionID, created: time.Now()}
	s.startBeatLocked()
	s.mu.Unlock()
	body, _ := json.Marshal(resp)
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

// track registers a new connection; it reports false after Shutdown.
func (s *Server) track(c *Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	if c.token != "" {
		s.tokens[c.token] = c
	}
	s.startBeatLocked()
	return true
}

// connected registers a connection that completed its handshake and runs the
// OnConnected hook.
func (s *Server) connected(c *Conn) error {
	if err := s.opts.Lifetime.OnConnected(c.ctx, c); err != nil {
		return err
	}
	if s.opts.OnConnected == nil && len(s.connectFilters) == 0 {
		return nil
	}
	return safeHook(func() error { return s.connectVia(c.ctx, c) })
}

// forget drops a finished connection.
func (s *Server) forget(c *Conn, cause error) {
	if c.handshook.Load() {
		ctx := context.WithoutCancel(c.ctx)
		if err := s.opts.Lifetime.OnDisconnected(ctx, c); err != nil {
			s.log.Warn("hub: lifetime manager failed to forget a connection", "conn", c.id, "error", err)
		}
		if s.opts.OnDisconnected != nil || len(s.disconnectFilters) > 0 {
			if err := safeHook(func() error { s.disconnectVia(ctx, c, cause); return nil }); err != nil {
				s.log.Error("hub: OnDisconnected failed", "conn", c.id, "error", err)
			}
		}
	}
	s.mu.Lock()
	delete(s.conns, c)
	if c.token != "" {
		delete(s.tokens, c.token)
	}
	if s.closed && len(s.conns) == 0 {
		if s.drained != nil {
			close(s.drained)
			s.drained = nil
		}
		s.wakeBeat() // to end
	}
	s.mu.Unlock()
}

func safeHook(f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v}
		}
	}()
	return f()
}

// pickProtocol chooses the connection's protocol from its handshake request, or
// says why it cannot.
func (s *Server) pickProtocol(req protocol.HandshakeRequest, t transport) (protocol.Protocol, string) {
	for _, p := range s.opts.Protocols {
		if p.Name() != req.Protocol {
			continue
		}
		if req.Version > p.Version() {
			return nil, fmt.Sprintf("The server does not support version %d of the '%s' protocol.", req.Version, p.Name())
		}
		if !t.supports(p.Format()) {
			return nil, fmt.Sprintf("Cannot use the '%s' protocol on the current transport. The transport does not support '%s' transfer format.", p.Name(), p.Format())
		}
		return p, ""
	}
	return nil, fmt.Sprintf("The protocol '%s' is not supported.", req.Protocol)
}

// checkOrigin accepts WebSocket upgrades without an Origin, from the same host,
// or from an allowed origin.
func (s *Server) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	for _, o := range s.opts.AllowedOrigins {
		if o == "*" || strings.EqualFold(o, origin) {
			return true
		}
	}
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// startBeatLocked starts the heartbeat if it is not running.
func (s *Server) startBeatLocked() {
	if !s.beating {
		s.beating = true
		go s.beat()
	}
}

// heartbeat is the longest interval between two visits of the heartbeat. A
// shorter one costs broadcasts to many connections dearly (a third of the
// deliveries at 10,000 connections with half a second, in the bench).
const heartbeat = time.Second

// wakeBeat asks the heartbeat to look again at once.
func (s *Server) wakeBeat() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// beat is the server's heartbeat: it pings idle connections and expires
// negotiations that never connected. It ends when there is nothing to watch.
func (s *Server) beat() {
	o := &s.opts
	tick := min(heartbeat, o.KeepAliveInterval/2, o.HandshakeTimeout/2)
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	var conns []*Conn
	for {
		var now time.Time
		select {
		case now = <-ticker.C:
		case <-s.wake:
			now = time.Now()
		}
		s.mu.Lock()
		for token, p := range s.pending {
			if now.Sub(p.created) > o.HandshakeTimeout {
				delete(s.pending, token)
			}
		}
		if len(s.conns) == 0 && len(s.pending) == 0 {
			s.beating = false
			s.mu.Unlock()
			return
		}
		conns = slices.AppendSeq(conns[:0], maps.Keys(s.conns))
		s.mu.Unlock()
		for _, c := range conns {
			c.tick(now)
		}
		clear(conns)
	}
}

// Shutdown closes every connection with a Close message that allows the client
// to reconnect (to another server, say), refuses new ones, and waits until the
// connections are gone or ctx ends; then it cuts the rest off.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	// The heartbeat goes on until the last connection is gone: a WebSocket
	// whose reader is in a hub method needs it to see its client go.
	s.closed = true
	clear(s.pending)
	s.wakeBeat()
	conns := slices.Collect(maps.Keys(s.conns))
	var drained chan struct{}
	if len(s.conns) > 0 {
		if s.drained == nil {
			s.drained = make(chan struct{})
		}
		drained = s.drained
	}
	s.mu.Unlock()
	for _, c := range conns {
		if ctx.Err() != nil {
			break
		}
		c.closeWith(&protocol.Message{Type: protocol.Close}, true)
	}
	if drained == nil {
		return nil
	}
	select {
	case <-drained:
		return nil
	case <-ctx.Done():
		for _, c := range conns {
			c.cancel()
			c.q.Discard()
			c.t.abort()
		}
		return ctx.Err()
	}
}

// newID returns 16 random bytes in URL-safe base64: 22 characters, as ASP.NET
// Core's connection ids and tokens.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Start does nothing: a Server serves through its ServeHTTP. With Stop it lets a
// Server run as a service of runtime/host, added after the HTTP server that
// serves it so that it stops first.
func (s *Server) Start(context.Context) error { return nil }

// Stop is Shutdown.
func (s *Server) Stop(ctx context.Context) error { return s.Shutdown(ctx) }

package transport

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Defaults, as in ASP.NET Core.
const (
	// DefaultPollTimeout is how long a long poll waits for data before it
	// ends empty.
	DefaultPollTimeout = 90 * time.Second
	// DefaultDisconnectTimeout closes a Long Polling connection whose client
	// stopped polling, and drops a negotiation that no transport opened.
	DefaultDisconnectTimeout = 15 * time.Second
	// DefaultWriteTimeout closes a connection whose transport does not take
	// a write within it.
	DefaultWriteTimeout = 10 * time.Second
	// DefaultMaxPostSize caps the body of one POST of a Server-Sent Events or
	// Long Polling connection, as Kestrel caps a request body.
	DefaultMaxPostSize = 30_000_000
	// DefaultMaxPending is how many negotiated connections may wait for
	// their transport at once. ASP.NET Core has no such cap; a pending
	// negotiation costs about 150 bytes.
	DefaultMaxPending = 100_000
	// DefaultHeartbeat is the interval of the server's heartbeat.
	DefaultHeartbeat = time.Second
)

// Options configure a Server. The zero value of every field means its default.
type Options struct {
	// Transports the endpoint accepts; negotiate lists them in the order
	// clients try them. Default: all three.
	Transports Transports

	// Authenticate turns a request into an identity before negotiate and on
	// every transport request. An error answers 401 with an empty body. A nil
	// identity with no error is an anonymous user. An identity whose Expires
	// has passed is refused as an error is. BearerToken reads the token
	// clients send.
	Authenticate func(r *http.Request) (*Identity, error)
	// CloseOnAuthenticationExpiration closes a connection when its identity
	// expires (Identity.Expires), as ASP.NET Core's option of that name does:
	// the handler is asked to close (OnCloseRequest, with
	// ErrAuthenticationExpired), and without a hook the connection closes.
	// Without it, a WebSocket outlives its identity; the other transports'
	// next requests are refused.
	CloseOnAuthenticationExpiration bool

	// AllowedOrigins lists the origins (scheme://host[:port]) whose browsers
	// may use the endpoint from another site: they may open a WebSocket to
	// it, and they get CORS answers (preflights, and
	// Access-Control-Allow-Origin with credentials) on negotiate and the HTTP
	// transports. "*" allows any origin, which lets any web site act with the
	// cookies of the endpoint's users: avoid it with cookie authentication. By
	// default only same-origin requests and requests without an Origin header
	// are accepted, and no CORS header is sent.
	AllowedOrigins []string

	// MaxPending caps the connections that negotiated but have not opened a
	// transport yet; negotiate answers 503 while there are this many. Each
	// expires after DisconnectTimeout. Default 100,000, about 15 MiB.
	MaxPending int
	// PollTimeout is how long a long poll waits for data. Default 90 s.
	PollTimeout time.Duration
	// DisconnectTimeout closes a Long Polling connection whose client has not
	// polled for this long, and drops a negotiation no transport opened in
	// this time, as ASP.NET Core's disconnect timeout. Default 15 s.
	DisconnectTimeout time.Duration
	// WriteTimeout closes a connection whose transport does not take a write
	// within this time. Default 10 s.
	WriteTimeout time.Duration
	// MaxPostSize caps the body of one POST, by which Server-Sent Events and
	// Long Polling clients send; a larger one is answered 413 and closes the
	// connection. Default 30,000,000 bytes, Kestrel's cap on a request body.
	MaxPostSize int64
	// Heartbeat is how often the server visits its connections: it runs
	// their OnHeartbeat hooks and checks the transports' timeouts. Default
	// 1 s.
	Heartbeat time.Duration

	// AllowStatefulReconnects lets a WebSocket connection whose client asks
	// for it at negotiate (useStatefulReconnect=true) survive the loss of its
	// socket, as ASP.NET Core's option of that name: after a drop that is not
	// a clean close, the connection waits DisconnectTimeout for the client
	// to open a WebSocket with the same connection token, and goes on over
	// it. Its handler must take part (see Conn.Stateful): runtime/hub does.
	// Server-Sent Events and Long Polling never use it. Default off.
	AllowStatefulReconnects bool

	// Logger receives the server's logs. Default: slog.Default().
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.PollTimeout, DefaultPollTimeout)
	def(&o.DisconnectTimeout, DefaultDisconnectTimeout)
	def(&o.WriteTimeout, DefaultWriteTimeout)
	def(&o.Heartbeat, DefaultHeartbeat)
	if o.Transports == 0 {
		o.Transports = AllTransports
	}
	if o.MaxPending <= 0 {
		o.MaxPending = DefaultMaxPending
	}
	if o.MaxPostSize <= 0 {
		o.MaxPostSize = DefaultMaxPostSize
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// A Handler serves the connections of an endpoint.
type Handler interface {
	// ServeConn serves c: it reads with c.Next and writes with c.Write
	// until it is done or the transport ends. When it returns, the
	// connection closes. It runs on a goroutine of its own; a panic closes
	// the connection and is logged.
	ServeConn(c *Conn)
}

// HandlerFunc is a function that serves connections.
type HandlerFunc func(c *Conn)

// ServeConn calls f(c).
func (f HandlerFunc) ServeConn(c *Conn) { f(c) }

// Server is the http.Handler of one endpoint: negotiate at its path followed
// by /negotiate, and the transports at its path (Mount registers both). It
// matches the end of the path ignoring case.
type Server struct {
	h        Handler
	opts     Options
	log      *slog.Logger
	upgrader websocket.Upgrader

	mu      sync.Mutex
	pending map[string]pendingConn // negotiated, by connection token
	tokens  map[string]*Conn       // open, by connection token
	conns   map[*Conn]struct{}
	beating bool          // the heartbeat goroutine runs
	wake    chan struct{} // capacity 1: asks the heartbeat to look again
	closed  bool          // Shutdown was called
	drained chan struct{} // closed when the last connection is gone after Shutdown
}

type pendingConn struct {
	id       string
	created  time.Time
	stateful bool // the client asked for stateful reconnect, and the server allows it
}

// writeBuffers are shared by every WebSocket so that an idle one holds none.
var writeBuffers sync.Pool

// New returns the server of an endpoint whose connections h serves.
func New(h Handler, opts Options) *Server {
	s := &Server{
		h:       h,
		opts:    opts.withDefaults(),
		pending: make(map[string]pendingConn),
		tokens:  make(map[string]*Conn),
		conns:   make(map[*Conn]struct{}),
		wake:    make(chan struct{}, 1),
	}
	s.log = s.opts.Logger
	s.upgrader = websocket.Upgrader{
		ReadBufferSize:  1024,
		WriteBufferSize: 4096,
		WriteBufferPool: &writeBuffers,
		CheckOrigin:     s.checkOrigin,
	}
	return s
}

// Options returns the server's options, with their defaults filled in.
func (s *Server) Options() Options { return s.opts }

// Router is where an endpoint is mounted: an *http.ServeMux, a *Mux, or any
// router with the same Handle method.
type Router interface {
	Handle(pattern string, h http.Handler)
}

// Mount registers s on r at path and at path + "/negotiate". On a *Mux both
// match ignoring case, as ASP.NET Core's routing does; an http.ServeMux
// matches them exactly.
func (s *Server) Mount(r Router, path string) { mount(r, path, s) }

// mount registers h at path and path + "/negotiate".
func mount(r Router, path string, h http.Handler) {
	path = strings.TrimSuffix(path, "/")
	if m, ok := r.(*Mux); ok {
		m.Mount(path, h)
		return
	}
	r.Handle(path, h)
	r.Handle(path+"/negotiate", h)
}

// ServeHTTP serves negotiate and the transports.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.cors(w, r) {
		return
	}
	if p := r.URL.Path; len(p) >= len("/negotiate") && strings.EqualFold(p[len(p)-len("/negotiate"):], "/negotiate") {
		s.negotiate(w, r)
		return
	}
	s.route(w, r)
}

// Errors a connection's Err, or Next, may return, and the reasons
// OnCloseRequest may give.
var (
	// ErrShutdown asks a connection to close because the server shuts down.
	ErrShutdown = errors.New("transport: the server is shutting down")
	// ErrAuthenticationExpired asks a connection to close because its
	// identity expired (see Options.CloseOnAuthenticationExpiration).
	ErrAuthenticationExpired = errors.New("transport: authentication expired")
	// ErrAborted is the end of a connection that Abort closed without a
	// cause, or that the server cut off.
	ErrAborted = errors.New("transport: connection aborted")
	// ErrTimeout ends a connection whose client stopped polling, or did not
	// answer a closing handshake in time.
	ErrTimeout error = timeoutError{}
	// ErrPostTooLarge ends a connection that sent a POST larger than
	// Options.MaxPostSize.
	ErrPostTooLarge = errors.New("transport: a POST body is larger than the server accepts")
)

type timeoutError struct{}

func (timeoutError) Error() string { return "transport: timeout" }
func (timeoutError) Timeout() bool { return true }

// authenticate runs Options.Authenticate; on failure it answers 401 with an
// empty body, as ASP.NET Core does, and returns false.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (*Identity, bool) {
	if s.opts.Authenticate == nil {
		return nil, true
	}
	ident, err := s.opts.Authenticate(r)
	if err == nil && ident != nil && !ident.Expires.IsZero() && !time.Now().Before(ident.Expires) {
		err = ErrAuthenticationExpired
	}
	if err != nil {
		// The error may quote what the client sent: no secret of the request
		// goes to the log.
		s.log.Debug("transport: authentication failed", "method", r.Method, "url", RedactURL(r.URL), "error", Scrub(err.Error(), r))
		w.WriteHeader(http.StatusUnauthorized)
		return nil, false
	}
	return ident, true
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

// lookup finds the open connection of a token.
func (s *Server) lookup(token string) *Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens[token]
}

// untrack drops the token of a connection whose transport ended: requests
// that carry it are answered 404, as for an unknown connection.
func (s *Server) untrack(c *Conn) {
	if c.token == "" {
		return
	}
	s.mu.Lock()
	if s.tokens[c.token] == c {
		delete(s.tokens, c.token)
	}
	s.mu.Unlock()
}

// forget drops a finished connection.
func (s *Server) forget(c *Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	if c.token != "" && s.tokens[c.token] == c {
		delete(s.tokens, c.token)
	}
	if s.closed && len(s.conns) == 0 && s.drained != nil {
		close(s.drained)
		s.drained = nil
	}
	if len(s.conns) == 0 && len(s.pending) == 0 {
		s.wakeBeat() // to end
	}
}

// serve runs the handler on c, then closes the connection and waits for its
// transport to end.
func (s *Server) serve(c *Conn) {
	defer s.forget(c)
	func() {
		defer func() {
			if v := recover(); v != nil {
				s.log.Error("transport: connection handler panicked", "conn", c.id, "panic", v)
				c.Abort(errors.New("transport: the connection handler panicked"))
			}
		}()
		s.h.ServeConn(c)
	}()
	c.Close()
	c.t.drain()
}

// checkOrigin accepts WebSocket upgrades without an Origin, from the same
// host, or from an allowed origin.
func (s *Server) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || s.corsAllowed(origin) {
		return true
	}
	return sameHost(origin, r.Host)
}

// startBeatLocked starts the heartbeat if it is not running.
func (s *Server) startBeatLocked() {
	if !s.beating {
		s.beating = true
		go s.beat()
	}
}

// wakeBeat asks the heartbeat to look again at once.
func (s *Server) wakeBeat() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// beat is the server's heartbeat: it visits every connection (its
// transport's timeouts, its authentication's expiry, its OnHeartbeat hook)
// and expires negotiations that never connected. It ends when there is
// nothing to watch.
func (s *Server) beat() {
	o := &s.opts
	ticker := time.NewTicker(o.Heartbeat)
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
			if now.Sub(p.created) > o.DisconnectTimeout {
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

// Shutdown asks every connection to close (OnCloseRequest, with
// ErrShutdown), refuses new ones, and waits until the connections are gone or
// ctx ends; then it cuts the rest off and returns ctx's error. Call it before
// the http.Server's Shutdown, which waits for event streams and long polls,
// requests that end only with their connections.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	// The heartbeat goes on until the last connection is gone: a WebSocket
	// whose handler blocks needs it to see its client go.
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
		c.requestClose(ErrShutdown)
	}
	if drained == nil {
		return nil
	}
	select {
	case <-drained:
		return nil
	case <-ctx.Done():
		for _, c := range conns {
			c.Abort(ErrAborted)
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

// Start does nothing: a Server serves through its ServeHTTP. With Stop it lets
// a Server run as a service of runtime/host, added after the HTTP server that
// serves it so that it stops first.
func (s *Server) Start(context.Context) error { return nil }

// Stop is Shutdown.
func (s *Server) Stop(ctx context.Context) error { return s.Shutdown(ctx) }

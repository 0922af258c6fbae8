package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// DialOptions configure Dial. The zero value of every field means its default.
type DialOptions struct {
	// Transports are the transports Dial may use. Of those the server offers,
	// it tries the allowed ones in the server's order (WebSockets,
	// ServerSentEvents, LongPolling from hubgen's hub and ASP.NET Core),
	// skipping those that cannot carry Format (Server-Sent Events carry only
	// text); when one fails to start, it negotiates again and tries the next,
	// as the JavaScript client does. Default (zero): all.
	Transports Transports
	// Format is the transfer format the connection carries. Default: Text.
	Format Format
	// SkipNegotiation connects a WebSocket straight to the URL, without
	// negotiate. The server must accept it (ASP.NET Core and hubgen's hub do);
	// the connection then has no id. Transports must then be zero or
	// WebSockets.
	SkipNegotiation bool

	// AccessToken returns the bearer token to send, as "Authorization: Bearer
	// <token>", with every HTTP request: negotiate, the WebSocket upgrade, the
	// event stream, polls, sends and the long-polling DELETE. Dial calls it
	// once. A negotiate redirect that carries a token replaces it.
	AccessToken func(ctx context.Context) (string, error)
	// Header holds headers to send with every HTTP request, the WebSocket
	// upgrade included.
	Header http.Header
	// HTTPClient sends every HTTP request but the WebSocket upgrade. Default: a
	// client of the connection's own, with a 100 s timeout, whose idle
	// connections Abort closes. Its Timeout bounds negotiate, sends and
	// DELETE; the event stream has no time limit, and a poll waits up to
	// 100 s, as in the JavaScript client. Its Jar, and the TLS and proxy
	// settings of an *http.Transport, also serve the WebSocket upgrade when
	// Dialer is nil.
	HTTPClient *http.Client
	// Dialer opens WebSockets. Default: a copy of websocket.DefaultDialer.
	Dialer *websocket.Dialer

	// WriteTimeout bounds each write to a WebSocket. Default 30 s. Sends by
	// POST are bounded by HTTPClient's Timeout.
	WriteTimeout time.Duration
	// CloseTimeout bounds how long, after CloseWrite, the connection waits for
	// the server to end its side before it closes. Default 5 s.
	CloseTimeout time.Duration

	// StatefulReconnect asks the server for stateful reconnect
	// (useStatefulReconnect=true at negotiate, as the official clients'
	// withStatefulReconnect): when it agrees and the transport is WebSockets,
	// ClientConn.Stateful reports it, and Reattach reopens the connection's
	// WebSocket after a drop. The protocol above keeps and replays what was
	// lost (runtime/client does).
	StatefulReconnect bool

	// Logger receives Dial's logs: a transport that failed to start, at the
	// Debug level. Default: slog.Default().
	Logger *slog.Logger
}

// Defaults of DialOptions.
const (
	defaultDialWriteTimeout = 30 * time.Second
	defaultDialCloseTimeout = 5 * time.Second
	defaultDialHTTPTimeout  = 100 * time.Second // as in the JavaScript client
)

// dialConfig is what the transports of a Dial share: the options with their
// defaults, and the clients they resolve to.
type dialConfig struct {
	opts    DialOptions
	log     *slog.Logger
	http    *http.Client      // negotiate, sends, DELETE
	untimed *http.Client      // the event stream and polls: http without its Timeout
	owned   bool              // http is the connection's own
	ws      *websocket.Dialer // the WebSocket upgrade
}

func newDialConfig(opts DialOptions) *dialConfig {
	if opts.Format == 0 {
		opts.Format = Text
	}
	if opts.Transports == 0 {
		opts.Transports = AllTransports
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = defaultDialWriteTimeout
	}
	if opts.CloseTimeout <= 0 {
		opts.CloseTimeout = defaultDialCloseTimeout
	}
	cfg := &dialConfig{opts: opts, log: opts.Logger, http: opts.HTTPClient, ws: opts.Dialer}
	if cfg.log == nil {
		cfg.log = slog.Default()
	}
	if cfg.http == nil {
		t, ok := http.DefaultTransport.(*http.Transport)
		if ok {
			t = t.Clone()
		} else {
			t = &http.Transport{Proxy: http.ProxyFromEnvironment}
		}
		cfg.http, cfg.owned = &http.Client{Transport: t, Timeout: defaultDialHTTPTimeout}, true
	}
	untimed := *cfg.http
	untimed.Timeout = 0
	cfg.untimed = &untimed
	if cfg.ws == nil {
		d := *websocket.DefaultDialer
		if t, ok := cfg.http.Transport.(*http.Transport); ok {
			d.Proxy, d.TLSClientConfig = t.Proxy, t.TLSClientConfig
		}
		d.Jar = cfg.http.Jar
		cfg.ws = &d
	}
	return cfg
}

// header returns the headers of a request to the server.
func (cfg *dialConfig) header(bearer string) http.Header {
	h := cfg.opts.Header.Clone()
	if h == nil {
		h = make(http.Header)
	}
	if bearer != "" {
		h.Set("Authorization", "Bearer "+bearer)
	}
	return h
}

// closeIdle releases the idle connections of the connection's own HTTP client.
func (cfg *dialConfig) closeIdle() {
	if cfg.owned {
		cfg.http.CloseIdleConnections()
	}
}

// Dial connects to the SignalR endpoint at rawURL (http, https, or with
// SkipNegotiation also ws or wss): it negotiates, following redirects, and
// opens the first transport the server offers that opts allow and that
// carries opts.Format. ctx bounds the dial only; once Dial returns, the
// connection lives until Abort, or until an end of either side (see
// CloseWrite).
//
// Its errors read as the JavaScript client's, such as "failed to complete
// negotiation with the server: Unauthorized: Status code '401'", without a
// package prefix: the layer above adds its own. An HTTP request that got an
// unexpected status is an *HTTPError.
func Dial(ctx context.Context, rawURL string, opts DialOptions) (*ClientConn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("invalid hub URL: %w", err)
	}
	switch u.Scheme {
	case "http", "https":
	case "ws", "wss":
		if !opts.SkipNegotiation {
			return nil, fmt.Errorf("a %s URL needs SkipNegotiation; negotiate is over http or https", u.Scheme)
		}
	default:
		return nil, fmt.Errorf("invalid hub URL %q: the scheme must be http or https", u.Redacted())
	}
	if opts.SkipNegotiation && opts.Transports != 0 && opts.Transports != WebSockets {
		return nil, errors.New("negotiation can only be skipped when using the WebSocket transport directly")
	}
	cfg := newDialConfig(opts)
	c, err := cfg.dial(ctx, u)
	if err != nil {
		cfg.closeIdle()
		return nil, err
	}
	return c, nil
}

// dial gets a token, negotiates unless told not to, and opens a transport.
func (cfg *dialConfig) dial(ctx context.Context, u *url.URL) (*ClientConn, error) {
	bearer := ""
	if cfg.opts.AccessToken != nil {
		var err error
		if bearer, err = cfg.opts.AccessToken(ctx); err != nil {
			return nil, fmt.Errorf("cannot get an access token: %w", err)
		}
	}
	if cfg.opts.SkipNegotiation {
		t, err := cfg.dialWebSocket(ctx, &negotiated{url: u, bearer: bearer})
		if err != nil {
			return nil, err
		}
		return &ClientConn{t: t, kind: WebSockets, format: cfg.opts.Format, cfg: cfg}, nil
	}
	n, err := cfg.negotiate(ctx, u, bearer)
	if err != nil {
		return nil, err
	}
	return cfg.open(ctx, n)
}

// clientTransport carries the bytes of a ClientConn: a WebSocket
// (dial_websocket.go), an event stream with POST sends (dial_sse.go), or long
// polls with POST sends (dial_longpolling.go).
type clientTransport interface {
	read(dst []byte) ([]byte, error)
	write(p []byte) error
	closeWrite()
	abort()
}

// ClientConn is the client's side of a connection that Dial opened. It
// carries bytes: records and frames are independent, so a Read may hold
// several of the messages of the protocol above, or part of one.
//
// One goroutine at a time may call Read, and one at a time Write and
// CloseWrite; Abort may be called at any time, from any goroutine.
type ClientConn struct {
	t      clientTransport
	id     string
	kind   Transports
	format Format
	cfg    *dialConfig
	swap   *clientSwap // t, when the connection is stateful
}

// ID returns the connection id, the name the server knows the connection by;
// it is "" with SkipNegotiation. The connection token, which routes the
// connection's requests, stays unexported.
func (c *ClientConn) ID() string { return c.id }

// Transport returns the transport the connection runs on.
func (c *ClientConn) Transport() Transports { return c.kind }

// Format returns the transfer format the connection carries.
func (c *ClientConn) Format() Format { return c.format }

// InherentKeepAlive reports whether the transport shows by itself that both
// ends are alive, as Long Polling does with its polls: the protocol above
// then needs no keep-alive pings and no server timeout, as in the official
// clients.
func (c *ClientConn) InherentKeepAlive() bool { return c.kind == LongPolling }

// Read appends the next bytes from the server to dst and returns the
// extended slice: one WebSocket message, one event, or the body of a poll
// that brought data. It grows dst only when dst has no room for them: a
// reader that passes the same buffer back, emptied, reads into it.
//
// When the server ends the connection normally, Read returns an error that is
// io.EOF by errors.Is: ErrEventStreamEnded on Server-Sent Events,
// ErrPollingEnded on Long Polling, and on WebSockets an error that wraps the
// *websocket.CloseError of a normal closure (1000), for errors.As. A
// WebSocket closed otherwise gives its *websocket.CloseError as it is; an HTTP
// request that got an unexpected status, an *HTTPError.
func (c *ClientConn) Read(dst []byte) ([]byte, error) { return c.t.read(dst) }

// Write sends p, which the protocol above may make of one or more of its
// messages: a WebSocket message of the connection's Format, or one POST.
// Write is done with p when it returns. A POST returns when the server has
// taken it, which a server may do only as fast as its handler reads, and a
// handler may wait for a poll to answer: on Long Polling, keep a Read going
// while you Write, as runtime/client's reader does.
func (c *ClientConn) Write(p []byte) error { return c.t.write(p) }

// CloseWrite ends the client's side gracefully, after the last Write: on
// WebSockets it sends a close frame, on Long Polling a DELETE; on Server-Sent
// Events it sends nothing, and the protocol above tells the server to end.
// Read goes on returning what the server sends until the server ends its
// side, or until DialOptions.CloseTimeout has passed, when the connection
// closes. Call Abort after it all the same, to release the connection.
func (c *ClientConn) CloseWrite() { c.t.closeWrite() }

// Abort closes the connection at once: pending Reads and Writes return with
// an error. It releases the idle connections of the connection's own HTTP
// client, when DialOptions.HTTPClient was nil. Abort may be called more than
// once, and at any time.
func (c *ClientConn) Abort() {
	c.t.abort()
	c.cfg.closeIdle()
}

// HTTPError is an HTTP request to the server (negotiate, the WebSocket
// upgrade, the event stream, a poll, a send) that got an unexpected status.
// Its text is the one the JavaScript client reports, such as "Unauthorized:
// Status code '401'".
type HTTPError struct {
	// StatusCode is the response's status.
	StatusCode int
	// Message is the response body, or the status text when the body is empty.
	Message string
}

// Error returns the text the JavaScript client reports.
func (e *HTTPError) Error() string {
	return fmt.Sprintf("%s: Status code '%d'", e.Message, e.StatusCode)
}

// newHTTPError describes a response with an unexpected status as the
// JavaScript client does: by its body, or by its status text.
func newHTTPError(resp *http.Response, body []byte) *HTTPError {
	msg := strings.TrimSpace(string(body))
	if msg == "" {
		msg = strings.TrimSpace(strings.TrimPrefix(resp.Status, fmt.Sprint(resp.StatusCode)))
	}
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	return &HTTPError{StatusCode: resp.StatusCode, Message: msg}
}

// The errors Read returns when the server ends the connection, or answers a
// poll as no server should.
var (
	// ErrEventStreamEnded is Read's error when the server ended the event
	// stream of Server-Sent Events. It is io.EOF by errors.Is.
	ErrEventStreamEnded error = &endError{"the server ended the event stream", nil}
	// ErrPollingEnded is Read's error when the server ended Long Polling: it
	// answered a poll with 204 No Content. It is io.EOF by errors.Is.
	ErrPollingEnded error = &endError{"the server ended the long polling connection", nil}
	// ErrUnexpectedStatus is, by errors.Is, Read's error when the server
	// answered a poll with a success status other than 200 and 204. (Other
	// statuses are an *HTTPError.)
	ErrUnexpectedStatus = errors.New("unexpected status")
)

// endError is a normal end of a connection by the server: it is io.EOF by
// errors.Is, and wraps what the transport reported, if anything.
type endError struct {
	text string
	err  error
}

func (e *endError) Error() string        { return e.text }
func (e *endError) Unwrap() error        { return e.err }
func (e *endError) Is(target error) bool { return target == io.EOF }

package client

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hubgen/hubgen/runtime/protocol"
)

// Defaults, as in the official clients.
const (
	DefaultKeepAliveInterval = 15 * time.Second
	DefaultServerTimeout     = 30 * time.Second
	DefaultHandshakeTimeout  = 15 * time.Second
)

// Options configure a connection. The zero value of every field means its
// default.
type Options struct {
	// AccessToken returns the bearer token to send, as "Authorization: Bearer
	// <token>", with every HTTP request: negotiate, the WebSocket upgrade, the
	// event stream, polls, sends and the long-polling DELETE. It is called on
	// every connection attempt, reconnects included. A negotiate redirect that
	// carries a token replaces it for the rest of that attempt.
	AccessToken func(ctx context.Context) (string, error)
	// Header holds headers to send with every HTTP request, the WebSocket
	// upgrade included.
	Header http.Header
	// HTTPClient sends every HTTP request but the WebSocket upgrade. Default: a
	// client of each connection's own (a new one after a reconnect) with a
	// 100 s timeout. Its Timeout bounds negotiate, sends and DELETE; the event
	// stream has no time limit, and a poll waits up to 100 s, as in the
	// JavaScript client. Its Jar, and the TLS and proxy settings of an
	// *http.Transport, also serve the WebSocket upgrade when Dialer is nil.
	HTTPClient *http.Client
	// Dialer opens WebSockets. Default: a copy of websocket.DefaultDialer.
	Dialer *websocket.Dialer
	// Transports are the transports the client may use. Of those the server
	// offers, it tries the allowed ones in the server's order (WebSockets,
	// ServerSentEvents, LongPolling from hubgen's hub and ASP.NET Core), skipping
	// those that cannot carry the protocol (MessagePack never goes over
	// Server-Sent Events); when one fails to start, it negotiates again and tries
	// the next. Default (zero): all.
	Transports Transports
	// SkipNegotiation connects a WebSocket straight to the hub URL, without
	// negotiate. The server must accept it (ASP.NET Core and hubgen's hub do);
	// the connection then has no id. Transports must then be zero or
	// WebSockets.
	SkipNegotiation bool
	// Protocol is the hub protocol. Default: protocol.JSON.
	Protocol protocol.Protocol

	// KeepAliveInterval is how long the client may go without sending before it
	// sends a Ping. Default 15 s; it should be half the server's client timeout.
	// Long Polling sends no pings: its polls keep the connection alive.
	KeepAliveInterval time.Duration
	// ServerTimeout ends a connection on which nothing arrived for this long,
	// with ErrServerTimeout. Default 30 s; it should be twice the server's
	// keep-alive interval. Long Polling has no server timeout, as in the
	// official clients. It also bounds how long the connection's reader waits
	// for a stream's consumer (see StreamOf) or for the handlers (see
	// Conn.On).
	ServerTimeout time.Duration
	// HandshakeTimeout bounds the handshake, from sending the request to
	// receiving the response. Default 15 s.
	HandshakeTimeout time.Duration

	// Reconnect says whether, and when, to reconnect after a connection that
	// was established is lost. Default (nil): DefaultReconnect. NoReconnect turns
	// reconnecting off.
	Reconnect ReconnectPolicy

	// Handlers are registered, as by Conn.On, before the connection opens, so
	// that no call the server makes right after the handshake finds them
	// missing.
	Handlers map[string]Handler

	// StatefulReconnect asks the server for stateful reconnect, as the
	// official clients' withStatefulReconnect: over WebSockets, with a server
	// that allows it (ASP.NET Core's AllowStatefulReconnects, hub.Options'),
	// a connection whose socket drops reopens it once, at once, and goes on
	// with nothing lost and nothing twice — the same connection id, its
	// groups, its pending calls. Each side keeps what it sent until the other
	// acknowledges it. If the reattach fails (the server's window passed, or
	// the request reached a server that does not know the connection), the
	// connection is lost and Reconnect applies as without it.
	// OnReattached tells of each drop survived.
	StatefulReconnect bool
	// StatefulReconnectBufferSize caps the bytes kept until the server
	// acknowledges them; past it, sends wait for the server's next Ack.
	// Default 100,000, as in the official clients.
	StatefulReconnectBufferSize int

	// Logger receives the client's logs. Default: slog.Default().
	Logger *slog.Logger

	// The callbacks run one at a time, on a goroutine of the Conn's.
	//
	// OnClosed is called once, when the Conn is closed for good: err is nil
	// after Close, and otherwise says why (reconnecting gave up, the server
	// closed the connection, or reconnecting is off).
	OnClosed func(err error)
	// OnReconnecting is called when a connection is lost and the client starts
	// reconnecting; err says why it was lost. Calls fail with ErrReconnecting
	// until OnReconnected or OnClosed.
	OnReconnecting func(err error)
	// OnReconnected is called when the client has reconnected, with the new
	// connection id ("" with SkipNegotiation).
	OnReconnected func(connectionID string)
	// OnReattached is called when a stateful connection (StatefulReconnect)
	// lost its socket and reattached: nothing was lost, the connection id is
	// the same, and calls went on waiting meanwhile.
	OnReattached func()
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.KeepAliveInterval, DefaultKeepAliveInterval)
	def(&o.ServerTimeout, DefaultServerTimeout)
	def(&o.HandshakeTimeout, DefaultHandshakeTimeout)
	if o.Protocol == nil {
		o.Protocol = protocol.JSON
	}
	if o.StatefulReconnectBufferSize <= 0 {
		o.StatefulReconnectBufferSize = 100_000
	}
	if o.Reconnect == nil {
		o.Reconnect = DefaultReconnect
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// ReconnectPolicy decides whether and when to try reconnecting. It is called
// with retries = 0 when a connection is lost, and after each failed attempt with
// the number of attempts made so far, the time since the connection was lost,
// and why the connection was lost or the last attempt failed. It returns the
// delay before the next attempt, or ok = false to give up.
type ReconnectPolicy func(retries int, elapsed time.Duration, reason error) (delay time.Duration, ok bool)

// DefaultReconnect tries four times, after about 0, 2, 10 and 30 seconds, as
// the official clients do, then gives up. The delays have jitter, so that the
// clients of a restarted server do not all come back at the same instant.
var DefaultReconnect = ReconnectDelays(0, 2*time.Second, 10*time.Second, 30*time.Second)

// NoReconnect never reconnects: a lost connection closes the Conn.
var NoReconnect ReconnectPolicy = func(int, time.Duration, error) (time.Duration, bool) { return 0, false }

// ReconnectDelays returns a policy that makes one attempt per delay, then gives
// up. Each delay varies by up to ±20%, and a zero delay becomes a random one
// under half a second.
func ReconnectDelays(delays ...time.Duration) ReconnectPolicy {
	delays = append([]time.Duration(nil), delays...)
	return func(retries int, _ time.Duration, _ error) (time.Duration, bool) {
		if retries >= len(delays) {
			return 0, false
		}
		d := delays[retries]
		if d <= 0 {
			return rand.N(500 * time.Millisecond), true
		}
		return d - d/5 + rand.N(2*d/5+1), true
	}
}

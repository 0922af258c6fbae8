package hub

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/hubgen/hubgen/runtime/protocol"
	"github.com/hubgen/hubgen/runtime/transport"
)

// Defaults, as in ASP.NET Core SignalR.
const (
	DefaultKeepAliveInterval = 15 * time.Second
	DefaultClientTimeout     = 30 * time.Second
	DefaultHandshakeTimeout  = 15 * time.Second
	DefaultMaxMessageSize    = 32 * 1024
	DefaultSendTimeout       = 10 * time.Second
	DefaultMaxQueueSize      = 1 << 20
	DefaultStreamBuffer      = 10
	DefaultMaxStreams        = 100
	DefaultDisconnectTimeout = transport.DefaultDisconnectTimeout
	DefaultPollTimeout       = transport.DefaultPollTimeout
	DefaultMaxPending        = transport.DefaultMaxPending
	DefaultMaxPostSize       = transport.DefaultMaxPostSize
	// DefaultStatefulReconnectBufferSize is ASP.NET Core's
	// StatefulReconnectBufferSize.
	DefaultStatefulReconnectBufferSize = 100_000
)

// Options configure a Server. The zero value of every field means its default.
type Options struct {
	// Protocols the server accepts, chosen per connection at the handshake.
	// Default: JSON and MessagePack. The nesting depth a message may have is the
	// protocol's: &protocol.JSONProtocol{MaxDepth: 16} caps it at 16 instead of
	// the default 64.
	Protocols []protocol.Protocol

	// KeepAliveInterval is how long a connection may go without sending before
	// the server sends a Ping. Default 15 s.
	KeepAliveInterval time.Duration
	// ClientTimeout closes a connection from which nothing arrived for this long.
	// Default 30 s; it should be twice the client's keep-alive interval.
	ClientTimeout time.Duration
	// HandshakeTimeout bounds the time from negotiate, or from the transport
	// opening, to a complete handshake. Default 15 s.
	HandshakeTimeout time.Duration

	// MaxMessageSize caps the size of one received message, also when it is
	// split over several frames. Default 32 KiB; negative means no limit.
	MaxMessageSize int
	// MaxParallelInvocations is how many invocations from one connection may run
	// at once. Default 1: they run one at a time, in order.
	MaxParallelInvocations int
	// MaxQueueSize caps the bytes waiting to be sent to one connection. A
	// connection that falls this far behind is closed. Default 1 MiB.
	MaxQueueSize int
	// SendTimeout closes a connection whose transport does not take a write
	// within this time. Default 10 s.
	SendTimeout time.Duration
	// StreamBuffer is how many items of one stream may wait, in either
	// direction: a server stream's producer waits while this many of its items
	// are unsent, and a full upload stream stops the connection's reader. Default
	// 10.
	StreamBuffer int
	// MaxStreams caps the streams, in both directions, open at once on one
	// connection. Default 100.
	MaxStreams int
	// MaxPending caps the connections that negotiated but have not opened a
	// transport yet; negotiate answers 503 while there are this many. Each
	// expires after DisconnectTimeout. Default 100,000, about 15 MiB.
	MaxPending int
	// MaxPostSize caps the body of one POST, by which Server-Sent Events and
	// Long Polling clients send; a larger one is answered 413 and closes the
	// connection. Default 30,000,000 bytes, Kestrel's cap on a request body.
	MaxPostSize int64

	// DetailedErrors adds the underlying error to the texts sent to clients. Keep
	// it off in production: errors can hold internal details. A *hub.Error's
	// message is always sent.
	DetailedErrors bool

	// Transports the hub accepts; negotiate lists them in the order clients
	// try them. Default: all three.
	Transports Transports
	// PollTimeout is how long a long poll waits for data. Default 90 s.
	PollTimeout time.Duration
	// DisconnectTimeout closes a Long Polling connection whose client has not
	// polled for this long, and drops a negotiation that no transport opened
	// in this time, as ASP.NET Core's disconnect timeout. Default 15 s. It
	// is also the window in which a stateful connection's client may
	// reattach after a drop.
	DisconnectTimeout time.Duration

	// AllowStatefulReconnects lets the clients that ask for it
	// (withStatefulReconnect in the official clients, client.Options'
	// StatefulReconnect in Go) survive the loss of their WebSocket, as
	// ASP.NET Core's option of that name: after a drop that was not a clean
	// close the connection waits DisconnectTimeout for the client to
	// reattach, and then goes on with nothing lost and nothing twice — the
	// same connection, its groups, its user, its pending client results.
	// OnDisconnected runs only when it ends. Each side keeps what it sent
	// until the other acknowledges it (about once a second) and sends it
	// again after a reattach. WebSockets only; with several servers, a
	// reattach must reach the same server (sticky sessions). Default off.
	AllowStatefulReconnects bool
	// StatefulReconnectBufferSize caps the bytes kept for a stateful
	// connection until its client acknowledges them. When they pass it, the
	// connection's writes wait for the client's next Ack (backpressure for
	// that connection only: a broadcast never waits for it); what is sent
	// meanwhile waits in its queue, and once that passes MaxQueueSize the
	// connection is closed as one that does not keep up. Default 100,000.
	StatefulReconnectBufferSize int

	// AllowedOrigins lists the origins (scheme://host[:port]) whose browsers may
	// use the hub from another site: they may open a WebSocket to it, and they
	// get CORS answers (preflights, and Access-Control-Allow-Origin with
	// credentials) on negotiate and the HTTP transports. "*" allows any origin,
	// which lets any web site act with the cookies of the hub's users: avoid it
	// with cookie authentication. By default only same-origin requests and
	// requests without an Origin header are accepted, and no CORS header is sent.
	AllowedOrigins []string

	// Authenticate turns a request into an identity before negotiate and on
	// every transport request. An error answers 401 with an empty body, which is
	// how a hub refuses unauthenticated users as a whole. A nil identity with no
	// error is an anonymous user. BearerToken reads the token clients send.
	Authenticate func(r *http.Request) (*Identity, error)
	// CloseOnAuthenticationExpiration closes a connection when its identity
	// expires (Identity.Expires, a JWT's exp, say) with a Close message, as
	// ASP.NET Core's option of that name does. Without it, a WebSocket
	// outlives its identity, and the other transports' next requests are
	// refused with 401.
	CloseOnAuthenticationExpiration bool
	// Authorize decides whether the connection may call a method; method is the
	// name the hub declares, whatever case the client used. An error refuses the
	// call: the client gets "Failed to invoke 'X' because user is
	// unauthorized" and the connection stays open. It runs before the Filters,
	// on the goroutine that runs the method.
	Authorize func(ctx context.Context, c *Conn, method string) error
	// Filters wrap hub methods, OnConnected and OnDisconnected, as ASP.NET
	// Core's hub filters do; the first is the outermost.
	Filters []Filter

	// OnConnected runs when a connection has completed its handshake, before any
	// of its invocations. An error closes the connection.
	OnConnected func(ctx context.Context, c *Conn) error
	// OnDisconnected runs once when a connection that was connected closes; err
	// says why, nil for a clean close.
	OnDisconnected func(ctx context.Context, c *Conn, err error)

	// Lifetime keeps track of connections, groups and users, and delivers
	// messages to them. Default: in memory, for one server.
	Lifetime LifetimeManager

	// Logger receives the server's logs. Default: slog.Default(), whose
	// level is Info unless slog.SetLogLoggerLevel changes it. At Info: each
	// connection's start and end, with its id, transport, protocol and user.
	// At Warn: a hub method's or a stream's failure, with the error the client
	// does not see without DetailedErrors; a connection that falls behind.
	// At Error: panics, with their stacks, and results that cannot be encoded.
	// At Debug: refused handshakes and invocations, and protocol errors.
	// Access tokens are redacted from every line.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if len(o.Protocols) == 0 {
		o.Protocols = []protocol.Protocol{protocol.JSON, protocol.MessagePack}
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.KeepAliveInterval, DefaultKeepAliveInterval)
	def(&o.ClientTimeout, DefaultClientTimeout)
	def(&o.HandshakeTimeout, DefaultHandshakeTimeout)
	def(&o.SendTimeout, DefaultSendTimeout)
	def(&o.PollTimeout, DefaultPollTimeout)
	def(&o.DisconnectTimeout, DefaultDisconnectTimeout)
	if o.MaxPostSize <= 0 {
		o.MaxPostSize = DefaultMaxPostSize
	}
	if o.Transports == 0 {
		o.Transports = AllTransports
	}
	if o.MaxMessageSize == 0 {
		o.MaxMessageSize = DefaultMaxMessageSize
	}
	if o.MaxParallelInvocations <= 0 {
		o.MaxParallelInvocations = 1
	}
	if o.StreamBuffer <= 0 {
		o.StreamBuffer = DefaultStreamBuffer
	}
	if o.MaxStreams <= 0 {
		o.MaxStreams = DefaultMaxStreams
	}
	if o.MaxPending <= 0 {
		o.MaxPending = DefaultMaxPending
	}
	if o.MaxQueueSize <= 0 {
		o.MaxQueueSize = DefaultMaxQueueSize
	}
	if o.StatefulReconnectBufferSize <= 0 {
		o.StatefulReconnectBufferSize = DefaultStatefulReconnectBufferSize
	}
	if o.Lifetime == nil {
		o.Lifetime = NewMemoryLifetime()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

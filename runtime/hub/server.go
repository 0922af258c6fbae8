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
// A hub is the upper of two layers, as in ASP.NET Core. The connections layer,
// runtime/transport, serves negotiate, the three transports, the
// authentication of each request, origins and the transports' limits, and
// hands each connection to the hub (Server.ServeConn). The hub owns the rest:
// the handshake, the hub protocol, dispatch, streams, client results, the
// lifetime manager, keep-alive and the hub's limits.
//
// Stateful reconnect (Options.AllowStatefulReconnects, for the clients that
// ask) is shared by the layers: the transport keeps a connection whose
// WebSocket dropped for DisconnectTimeout and swaps in the socket its client
// reattaches with; the hub numbers the invocation messages of the whole
// logical connection and keeps them, in the connection's queue, until the
// client acknowledges them, acknowledges what it receives on the heartbeat,
// and after a reattach sends Sequence and then what is unacknowledged, in
// order, and drops the duplicates the client replays. Past
// StatefulReconnectBufferSize unacknowledged bytes the connection's writes
// wait for an Ack; its queue's limit, MaxQueueSize, still closes it.
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
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/hubgen/hubgen/runtime/protocol"
	"github.com/hubgen/hubgen/runtime/transport"
)

// Server is the http.Handler of one hub. Mount it at the hub's path and at the
// path followed by /negotiate (Mount does both).
//
// A hub is a transport.Handler on top of runtime/transport's connections
// layer, which serves negotiate and the transports: the Server holds one,
// configured from its Options, and ServeHTTP hands requests to it.
type Server struct {
	opts    Options
	log     *slog.Logger
	methods methodTable
	conns   *transport.Server

	// Options.Filters, by kind.
	invokeFilters, connectFilters, disconnectFilters []Filter

	mu   sync.Mutex
	open map[*Conn]struct{} // connections being served
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
		open:    make(map[*Conn]struct{}),
	}
	s.log = s.opts.Logger
	s.splitFilters()
	if pu, ok := s.opts.Lifetime.(ProtocolUser); ok {
		pu.UseProtocols(slices.Clone(s.opts.Protocols))
	}
	o := &s.opts
	s.conns = transport.New(s, transport.Options{
		Transports:                      o.Transports,
		Authenticate:                    o.Authenticate,
		CloseOnAuthenticationExpiration: o.CloseOnAuthenticationExpiration,
		AllowedOrigins:                  o.AllowedOrigins,
		MaxPending:                      o.MaxPending,
		PollTimeout:                     o.PollTimeout,
		DisconnectTimeout:               o.DisconnectTimeout,
		AllowStatefulReconnects:         o.AllowStatefulReconnects,
		WriteTimeout:                    o.SendTimeout,
		MaxPostSize:                     o.MaxPostSize,
		// The heartbeat also pings and times out the hub's connections.
		Heartbeat: min(heartbeat, o.KeepAliveInterval/2, o.HandshakeTimeout/2),
		Logger:    o.Logger,
	})
	return s
}

// heartbeat is the longest interval between two visits of the heartbeat. A
// shorter one costs broadcasts to many connections dearly (a third of the
// deliveries at 10,000 connections with half a second, in the bench).
const heartbeat = time.Second

// Mount registers s on r at path and at path + "/negotiate". On a
// *transport.Mux both match ignoring case, as ASP.NET Core's routing does.
func (s *Server) Mount(r Router, path string) { s.conns.Mount(r, path) }

// Clients returns the hub's clients, to send to them from anywhere.
func (s *Server) Clients() Clients { return Clients{lm: s.opts.Lifetime} }

// Groups returns the hub's group manager.
func (s *Server) Groups() Groups { return Groups{lm: s.opts.Lifetime} }

// ServeHTTP serves negotiate and the transports.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.conns.ServeHTTP(w, r) }

// ServeConn serves one connection of the connections layer as a hub
// connection: handshake, hub protocol, invocations, until the transport
// ends. ServeHTTP's connections come here; so may those of a
// transport.Server of your own.
func (s *Server) ServeConn(lc *transport.Conn) {
	c := newConn(s, lc)
	s.mu.Lock()
	s.open[c] = struct{}{}
	s.mu.Unlock()
	lc.OnHeartbeat(c.tick)
	lc.OnCloseRequest(c.closeRequested)
	c.serve()
}

// connected registers a connection that completed its handshake and runs the
// OnConnected hook.
func (s *Server) connected(c *Conn) error {
	if err := s.opts.Lifetime.OnConnected(c.ctx, c); err != nil {
		s.log.Warn("hub: the lifetime manager refused a connection", c.logAttrs("error", c.scrub(err))...)
		return err
	}
	if s.opts.OnConnected != nil || len(s.connectFilters) > 0 {
		if err := safeHook(func() error { return s.connectVia(c.ctx, c) }); err != nil {
			s.log.Warn("hub: OnConnected refused a connection", c.logAttrs("error", c.scrub(err))...)
			return err
		}
	}
	s.log.Info("hub: connected", c.logAttrs()...)
	return nil
}

// forget drops a finished connection.
func (s *Server) forget(c *Conn, cause error) {
	if c.handshook.Load() {
		if cause != nil {
			s.log.Info("hub: disconnected", c.logAttrs("error", c.scrub(cause))...)
		} else {
			s.log.Info("hub: disconnected", c.logAttrs()...)
		}
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
	delete(s.open, c)
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
func (s *Server) pickProtocol(req protocol.HandshakeRequest, t transport.Transports) (protocol.Protocol, string) {
	for _, p := range s.opts.Protocols {
		if p.Name() != req.Protocol {
			continue
		}
		if req.Version > p.Version() {
			return nil, fmt.Sprintf("The server does not support version %d of the '%s' protocol.", req.Version, p.Name())
		}
		if !t.Supports(transport.Format(p.Format())) {
			return nil, fmt.Sprintf("Cannot use the '%s' protocol on the current transport. The transport does not support '%s' transfer format.", p.Name(), p.Format())
		}
		return p, ""
	}
	return nil, fmt.Sprintf("The protocol '%s' is not supported.", req.Protocol)
}

// Shutdown closes every connection with a Close message that allows the client
// to reconnect (to another server, say), refuses new ones, and waits until the
// connections are gone or ctx ends; then it cuts the rest off.
func (s *Server) Shutdown(ctx context.Context) error { return s.conns.Shutdown(ctx) }

// Start does nothing: a Server serves through its ServeHTTP. With Stop it lets a
// Server run as a service of runtime/host, added after the HTTP server that
// serves it so that it stops first.
func (s *Server) Start(context.Context) error { return nil }

// Stop is Shutdown.
func (s *Server) Stop(ctx context.Context) error { return s.Shutdown(ctx) }

// Package transport is the connections layer of SignalR, under the hub layer,
// as ASP.NET Core's Http.Connections is under its hubs: negotiate, connection
// ids and tokens, the three transports (WebSockets, Server-Sent Events and
// Long Polling), authentication of each request, origin checks and CORS,
// transfer formats, and the limits of a transport. It knows nothing of hubs:
// it carries bytes.
//
// On the server, a Server serves the connections of one endpoint to a
// Handler, which reads and writes a Conn's bytes for as long as the
// connection lasts. runtime/hub's Server is one such Handler; an endpoint of
// your own (a raw byte protocol, an echo) is another, and the official
// clients' HttpConnection connects to it.
//
// On the client, Dial negotiates and opens a transport, and returns a
// ClientConn that reads and writes bytes; runtime/client's hub connection
// runs on it.
//
// Stateful reconnect is the connections layer's in part: with
// Options.AllowStatefulReconnects and a client that asks
// (DialOptions.StatefulReconnect), a WebSocket connection outlives an unclean
// drop of its socket for DisconnectTimeout and goes on over the WebSocket its
// client opens with the same token (Conn.Stateful, OnDrop, OnReattach,
// ErrReattached; ClientConn.Reattach). What was in flight is the protocol
// above's to keep and send again.
package transport

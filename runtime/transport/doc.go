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
package transport

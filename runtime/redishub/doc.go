// Package redishub scales a hub out over several servers with Redis pub/sub,
// as ASP.NET Core SignalR's Redis backplane does. A *Lifetime is a
// hub.LifetimeManager: give every server's hub one, each on its own
// go-redis client of the same Redis, and every target (All, AllExcept,
// Client, Clients, Group, Groups, GroupExcept, User, Users) reaches the
// connections of every server; group changes and client results work for
// connections on other servers too.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
//	lt := redishub.New(rdb, redishub.Options{ChannelPrefix: "myapp:chat"})
//	defer lt.Close() // after the hub's Shutdown
//	srv := hub.New(methods, hub.Options{Lifetime: lt})
//
// Clients need sticky sessions, as with ASP.NET Core: a connection lives on one
// server, and every request of its negotiate and transport must reach that
// server.
//
// # Channels
//
// Channel names start with Options.ChannelPrefix (give every app and every
// hub that share a Redis a prefix of its own); after it come:
//
//	:all                       broadcasts (AllExcept carries the ids left out)
//	:connection:<id>           one per local connection: sends, group commands and client-result invocations for it
//	:group:<name>              subscribed while the server has a member of the group
//	:user:<id>                 subscribed while the server has a connection of the user
//	:internal:ack:<server>     acknowledgements of group commands, to the server that asked
//	:internal:return:<server>  client results, to the server that asked
//	:internal:barrier:<server>:<n>  short-lived, see below
//
// Names are used literally: the package subscribes with SUBSCRIBE, never
// PSUBSCRIBE, so a group or user named "a*" or "[x]" is just that name.
// Unlike ASP.NET Core, which publishes group commands to one internal:groups
// channel that every server reads, a group command goes to the connection's
// own channel: only its server reads it, and PUBLISH reporting no receiver
// tells at once that no server has the connection, where ASP.NET Core waits for
// its ack timeout.
//
// A message is encoded once per protocol of the hub (the hub tells the
// Lifetime its protocols through hub.ProtocolUser) on the server that sends
// it, and goes over Redis as one MessagePack array holding the encodings;
// receiving servers copy the bytes to their connections. A connection on the
// sending server is written to directly, never through Redis; the sender
// ignores its own publications when they come back.
//
// # Subscriptions
//
// One goroutine owns the subscriber connection and sends every SUBSCRIBE and
// UNSUBSCRIBE, in order, coalescing the changes that pile up while Redis is
// slow. Calls only update the server's state in memory, under a lock held for
// no I/O, and hand the change to that goroutine: a Redis that is slow, down or
// does not answer never holds up the calls of other connections.
//
// A call that needs a subscription waits for it afterwards, without a lock:
// OnConnected returns once the connection's channels are subscribed, and
// adding a connection to a group returns (or acknowledges, for a command from
// another server) once the group's channel is, so that a send that follows
// reaches the connection from any server. To know when Redis has processed a
// SUBSCRIBE, the package subscribes in the same command to a barrier channel
// of a unique name and waits for that channel's confirmation. OnDisconnected
// and removing a connection of this server from a group do not wait: the
// server stops delivering at once, and unsubscribes in the background.
//
// The wait lasts at most the call's context and Options.AckTimeout, and not
// at all while Redis is known not to answer: from the moment a SUBSCRIBE or
// UNSUBSCRIBE fails, or a confirmation does not come within AckTimeout, until
// the subscriber receives from Redis again. The connection or membership then
// works on this server at once, and on the others once the subscriber has
// reconnected and subscribed again. So while Redis is down, only the calls
// made before go-redis reports the failure wait (for go-redis's dial and read
// timeouts, or their context), concurrently; the calls after them do not.
// A Redis that keeps the connection open but stops answering is noticed only
// by AckTimeout, which bounds the waits of those first calls.
//
// # What it promises, and what it does not
//
// Delivery across servers is Redis pub/sub: at most once, with no buffering,
// no replay and no acknowledgement of sends. As with ASP.NET Core:
//
//   - While Redis is unreachable, a send still reaches the sending server's own
//     connections, then returns an error that says publishing failed (how long
//     the failing PUBLISH takes is the go-redis client's business: with its
//     default retries, about a second; lower redis.Options.MaxRetries to fail
//     faster). Messages
//     published by other servers in that time, and anything published while a
//     server's subscriber connection is down, are lost: they are not buffered
//     and not replayed. Clients that need every message must recover state on
//     their own (by calling a hub method after reconnecting, say).
//   - The subscriber reconnects on its own (go-redis retries every 100 ms, and a
//     health check pings every 3 s) and subscribes again to every channel the
//     server needs, so cross-server delivery resumes without action. Messages
//     published before the resubscription completes are lost.
//   - Group membership lives only in the memory of the server that holds the
//     connection, never in Redis: a Redis restart loses nothing of it, but a
//     server crash loses its connections and their groups, and clients must
//     join again after reconnecting elsewhere.
//   - Connections keep being accepted while Redis is down: they work on their
//     own server at once and across servers once Redis returns (see
//     Subscriptions for how long a connect waits). ASP.NET Core refuses them
//     instead. Adding a local connection to a group likewise succeeds locally
//     and takes effect on other servers when Redis returns.
//   - Acknowledgements and client results that come late, or twice, are
//     dropped; receiving from Redis never waits for a caller.
//   - Adding or removing a connection of another server waits for that
//     server's acknowledgement, for at most Options.AckTimeout (default 30 s);
//     when no server has the connection it fails at once with an error that
//     wraps hub.ErrNoConnection.
//   - A client result from a connection on another server waits at most
//     Options.InvokeTimeout (default 30 s) and the caller's context. It fails
//     at once when no server has the connection, with an error from the
//     client when the client answers with one, and with ErrServerGone within
//     about two seconds when the connection's channel loses its last
//     subscriber while the call waits (its server stopped or lost Redis).
//     ASP.NET Core has no such check and waits for the caller's cancellation.
//   - There is no ordering promise between messages of different servers;
//     messages that one goroutine sends one after another arrive in order.
//   - Redis Cluster is not supported: there, PUBLISH counts only the receivers
//     on one node, which the checks above rely on.
package redishub

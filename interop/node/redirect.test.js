// Redirects, as the official client's functional tests' server makes them
// (dotnet/aspnetcore, src/SignalR/clients/ts/FunctionalTests/Startup.cs), and
// interop's functional_test.go after it:
//   - /echoredirect answers every request with an HTTP redirect (307, which
//     keeps the method and body) to the same path under /echo;
//   - /redirect answers negotiate with a redirect of the protocol's own,
//     {"url": ".../testHub?numRedirects=N"}, to the hub mounted at /testhub:
//     the case differs, and routes match ignoring case, as ASP.NET Core's do.
// The hub scenarios are HubConnectionTests.ts's.
import assert from "node:assert/strict";
import { test } from "node:test";
import { HttpTransportType, TransferFormat } from "@microsoft/signalr";
import { base, connect, openConnection } from "./helpers.js";

const timeout = 10_000;

// The client follows HTTP redirects with fetch: its negotiate, its polls and
// its sends. Its WebSocket (npm ws) follows none, and its EventSource (npm
// eventsource) fails on a Location without scheme and host, which ASP.NET
// Core's redirect writes as ours does: of the transports, which open
// /echoredirect?id=... and get the redirect too, only Long Polling connects.
test("connection: follows HTTP redirects on negotiate", { timeout }, async (t) => {
  const c = await openConnection(t, "/echoredirect", TransferFormat.Text, { transport: HttpTransportType.LongPolling });
  const sent = c.conn.send("redirected");
  assert.equal((await c.received("redirected".length)).data, "redirected");
  await sent;
  await c.conn.stop();
  assert.equal(await c.closed, undefined);
});

const redirect = `/redirect?numRedirects=0&baseUrl=${base}`;

/** Starts a hub connection through the negotiate redirect, with automatic reconnects, and records them. */
async function connectRedirected(t) {
  let reconnecting, reconnected;
  const events = {
    reconnecting: new Promise((resolve) => (reconnecting = resolve)),
    reconnected: new Promise((resolve) => (reconnected = resolve)),
  };
  const conn = await connect(t, redirect, {
    transport: HttpTransportType.None, // none asked for: the first that negotiate offers
    configure: (b) => b.withAutomaticReconnect(),
  });
  conn.onreconnecting(reconnecting);
  conn.onreconnected(reconnected);
  return { conn, events };
}

/** Makes the client act as if the server had gone silent: it drops the connection and reconnects. */
function induceReconnect(conn) {
  conn.serverTimeout(); // private, as the official functional tests call it
}

test("hubConnection: can reconnect after negotiate redirect", { timeout }, async (t) => {
  const { conn, events } = await connectRedirected(t);
  const before = await conn.invoke("GetNumRedirects");
  assert.ok(before >= 1, `numRedirects is ${before}`);
  const firstID = conn.connectionId;

  induceReconnect(conn);
  await events.reconnecting;
  const newID = await events.reconnected;
  assert.notEqual(newID, firstID);
  assert.equal(await conn.invoke("GetCallerConnectionId"), newID);
  // The reconnect negotiated through /redirect again.
  assert.ok((await conn.invoke("GetNumRedirects")) > before);
  await conn.stop();
});

test("hubConnection: connection id matches server side connection id", { timeout }, async (t) => {
  const { conn, events } = await connectRedirected(t);
  assert.ok(conn.connectionId, "no connection id after start");
  assert.equal(await conn.invoke("GetCallerConnectionId"), conn.connectionId);
  const firstID = conn.connectionId;

  induceReconnect(conn);
  await events.reconnecting;
  const newID = await events.reconnected;
  assert.notEqual(newID, firstID);
  assert.equal(await conn.invoke("GetCallerConnectionId"), newID);
  await conn.stop();
  assert.equal(conn.connectionId, null);
});

// Stateful reconnect (withStatefulReconnect) through a proxy of the Go test's
// that cuts the TCP connections when told, without a close of any protocol
// above: the client reattaches over a new WebSocket, and nothing is lost or
// doubled.
import { test } from "node:test";
import assert from "node:assert/strict";
import { HttpTransportType, HubConnectionBuilder, LogLevel } from "@microsoft/signalr";
import { base, connect, get, record } from "./helpers.js";

const proxied = process.env.PROXY_URL;
if (!proxied) {
  throw new Error("PROXY_URL is not set: run these tests with `go test ./interop/`");
}

async function post(path) {
  const response = await fetch(base + path, { method: "POST" });
  if (!response.ok) {
    throw new Error(`POST ${path}: status ${response.status}`);
  }
}

function build(path, configure = (b) => b) {
  const builder = new HubConnectionBuilder()
    .withUrl(proxied + path, { transport: HttpTransportType.WebSockets })
    .withStatefulReconnect()
    .configureLogging(LogLevel.Error);
  return configure(builder).build();
}

test("100 cuts: every broadcast and every result arrives once, in order, on the same connection", async (t) => {
  const conn = build("/hubs/stateful");
  t.after(() => conn.stop());
  let reconnecting = 0;
  let closed = 0;
  conn.onreconnecting(() => reconnecting++);
  conn.onclose(() => closed++);
  const ticks = record(conn, "Tick");
  await conn.start();
  const id = conn.connectionId;
  assert.equal(await conn.invoke("IsStateful"), true);

  const before = JSON.parse(await get("/stateful/proxy"));
  const results = [];
  for (let i = 0; i < 100; i++) {
    // The server cuts before its broadcast (0) or between the broadcast and
    // the result (1); or the client cuts after the result, and its next
    // invocation goes out while the socket is gone (2).
    const mode = i % 3;
    results.push(await conn.invoke("Round", i, mode));
    if (mode === 2) {
      await post("/stateful/cut");
    }
  }
  const after = JSON.parse(await get("/stateful/proxy"));
  assert.equal(after.cuts - before.cuts, 100, "every round cut the connection");
  assert.ok(after.accepted - before.accepted >= 100, `the client reattached ${after.accepted - before.accepted} times, want 100`);
  const want = [...Array(100).keys()];
  assert.deepEqual(results, want);
  // Each Tick goes out before its round's result, on the same connection.
  assert.deepEqual(ticks.calls.map((args) => args[0]), want);
  assert.equal(await conn.invoke("GetConnectionId"), id);
  assert.equal(conn.connectionId, id);
  assert.equal(reconnecting, 0);
  assert.equal(closed, 0);
  assert.equal(await get(`/stateful/disconnects/${id}`), "0");

  await conn.stop();
  assert.equal(await get(`/stateful/gone/${id}`), "1");
});

test("a cut longer than the window ends the connection: the client reconnects with a new id", async (t) => {
  const conn = build("/hubs/stateful-short", (b) => b.withAutomaticReconnect({ nextRetryDelayInMilliseconds: () => 50 }));
  t.after(() => conn.stop());
  await conn.start();
  const id = conn.connectionId;
  const reconnected = new Promise((resolve) => conn.onreconnected(resolve));

  await post("/stateful/hold"); // cut; the reattach that follows waits, unanswered
  assert.equal(await get(`/stateful/gone/${id}`), "1"); // the window passed: the server ended it
  await post("/stateful/release"); // the reattach reaches a server that no longer knows the token
  const newId = await reconnected;
  assert.notEqual(newId, id);
  assert.equal(await conn.invoke("GetConnectionId"), newId);
  assert.equal(await conn.invoke("IsStateful"), true);
});

test("a client that did not ask is not stateful", async (t) => {
  const conn = await connect(t, "/hubs/stateful");
  assert.equal(await conn.invoke("IsStateful"), false);
});

for (const transport of [HttpTransportType.ServerSentEvents, HttpTransportType.LongPolling]) {
  test(`${HttpTransportType[transport]} never uses stateful reconnect`, async (t) => {
    const conn = await connect(t, "/hubs/stateful", { transport, configure: (b) => b.withStatefulReconnect() });
    assert.equal(await conn.invoke("IsStateful"), false);
    assert.equal(await conn.invoke("GetConnectionId"), conn.connectionId);
  });
}

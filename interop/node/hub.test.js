// The official client against the Go hub at /hubs/test (hubgen's interop_test.go).
import assert from "node:assert/strict";
import { test } from "node:test";
import { HubConnectionState, LogLevel } from "@microsoft/signalr";
import { closed, connect, record } from "./helpers.js";

const hub = "/hubs/test";
const timeout = 10_000;

test("connects with negotiate; connectionId is the server's", { timeout }, async (t) => {
  const conn = await connect(t, hub);
  assert.equal(conn.state, HubConnectionState.Connected);
  assert.match(conn.connectionId, /^[\w-]{22}$/);
  assert.equal(await conn.invoke("GetConnectionId"), conn.connectionId);
});

test("connects with skipNegotiation; connectionId is null", { timeout }, async (t) => {
  const conn = await connect(t, hub, { skipNegotiation: true });
  assert.equal(conn.state, HubConnectionState.Connected);
  assert.equal(conn.connectionId, null);
  assert.match(await conn.invoke("GetConnectionId"), /^[\w-]{22}$/);
  assert.equal(await conn.invoke("Echo", "still works"), "still works");
});

test("invoke returns results that round-trip", { timeout }, async (t) => {
  const conn = await connect(t, hub);
  const text = 'héllo wörld ✓ 日本語 🚀 "quoted" \\ \n\t\u0001\u2028 </script>';
  assert.equal(await conn.invoke("Echo", text), text);
  assert.equal(await conn.invoke("echo", "any case"), "any case"); // method names ignore case
  for (const n of [0, 1, -1.5, 0.1, 1e-7, 1e21, 2 ** 53 - 1, Number.MAX_VALUE, Number.MIN_VALUE]) {
    assert.equal(await conn.invoke("EchoNumber", n), n);
  }
  for (const n of [0, -(2 ** 53 - 1), 2 ** 53 - 1]) {
    assert.equal(await conn.invoke("EchoInt", n), n);
  }
  const item = { name: "ünï", count: 3, price: 9.99, tags: ["a", "b"], attrs: { x: 1 }, note: null };
  assert.deepEqual(await conn.invoke("EchoItem", item), item);
  const json = { nested: [1, "two", { three: [true, false, null] }], "ключ": -0.5e-10, empty: {} };
  assert.deepEqual(await conn.invoke("EchoJSON", json), json);
});

test("invoke of a void method resolves undefined", { timeout }, async (t) => {
  const conn = await connect(t, hub);
  assert.equal(await conn.invoke("Nothing"), undefined);
});

test("send does not wait, and the server runs the method", { timeout }, async (t) => {
  const conn = await connect(t, hub);
  const received = record(conn, "Receive");
  assert.equal(await conn.send("CallMeBack", "sent"), undefined);
  assert.deepEqual(await received.next(), ["sent"]);
});

test("server calls reach handlers registered in any letter case", { timeout }, async (t) => {
  const conn = await connect(t, hub);
  const received = record(conn, "rEcEiVe"); // the server calls "Receive"
  await conn.invoke("CallMeBack", "hi");
  assert.deepEqual(received.calls, [["hi"]]); // the call came before the completion
});

test("hub errors reject with ASP.NET Core's texts", { timeout }, async (t) => {
  const conn = await connect(t, hub);
  const rejects = (promise, message) => assert.rejects(promise, (e) => e instanceof Error && e.message === message);
  await rejects(conn.invoke("Fail", "bad input"),
    "An unexpected error occurred invoking 'Fail' on the server. HubException: bad input");
  await rejects(conn.invoke("Nope"),
    "Failed to invoke 'Nope' due to an error on the server. HubException: Method does not exist.");
  await rejects(conn.invoke("Echo"), "Failed to invoke 'Echo' due to an error on the server.");
  await rejects(conn.invoke("Echo", "a", "b"), "Failed to invoke 'Echo' due to an error on the server.");
  await rejects(conn.invoke("Panic"), "An unexpected error occurred invoking 'Panic' on the server.");
  // None of them harmed the connection.
  assert.equal(conn.state, HubConnectionState.Connected);
  assert.equal(await conn.invoke("Echo", "alive"), "alive");
});

test("groups: members receive group sends, others and leavers do not", { timeout }, async (t) => {
  const group = `group-${process.pid}-${Date.now()}`;
  const [a, b, outsider] = await Promise.all([connect(t, hub), connect(t, hub), connect(t, hub)]);
  const [inA, inB, inOutsider] = [a, b, outsider].map((c) => record(c, "GroupMessage"));
  await a.invoke("JoinGroup", group);
  await b.invoke("JoinGroup", group);

  await a.invoke("SendToGroup", group, "one");
  assert.deepEqual(await inA.next(), ["one"]);
  assert.deepEqual(await inB.next(), ["one"]);
  // The server queued the group send before a's completion; the outsider's
  // reply to a later invoke would come after it.
  await outsider.invoke("Nothing");
  assert.deepEqual(inOutsider.calls, []);

  await b.invoke("LeaveGroup", group);
  await a.invoke("SendToGroup", group, "two");
  assert.deepEqual(await inA.next(), ["two"]);
  await b.invoke("Nothing");
  assert.deepEqual(inB.calls, [["one"]]);
});

test("the server closing with an error reaches onclose", { timeout }, async (t) => {
  const conn = await connect(t, hub, { logLevel: LogLevel.None }); // the client logs the close as an error
  const error = closed(conn);
  const want = "Server returned an error on close: Connection closed with an error. HubException: bye";
  await assert.rejects(conn.invoke("CloseMe", "bye"), { message: want }); // pending invocations fail with it
  assert.equal((await error)?.message, want);
  assert.equal(conn.state, HubConnectionState.Disconnected);
});

test("stop() is clean, and the server sees the disconnect", { timeout }, async (t) => {
  const watcher = await connect(t, hub);
  const disconnects = record(watcher, "Disconnected");
  await watcher.invoke("Watch");

  const conn = await connect(t, hub);
  const id = conn.connectionId;
  const error = closed(conn);
  await conn.stop();
  assert.equal(await error, undefined);
  assert.equal(conn.state, HubConnectionState.Disconnected);
  assert.equal(conn.connectionId, null);

  let call;
  do call = await disconnects.next(); while (call[0] !== id); // other tests' connections come and go too
  assert.deepEqual(call, [id, null]); // null: the server saw a clean close
});

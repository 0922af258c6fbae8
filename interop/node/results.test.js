// Client results: the Go hub waits for what a client's handler returns
// (hubgen's interop_test.go).
import assert from "node:assert/strict";
import { test } from "node:test";
import { LogLevel } from "@microsoft/signalr";
import { connect, get } from "./helpers.js";

const timeout = 10_000;

/** Connects to /hubs/test with handler for "Result" (none if undefined). */
async function connectWith(t, handler, path = "/hubs/test") {
  // The client logs a throwing or missing handler as an error or a warning.
  const conn = await connect(t, path, { logLevel: LogLevel.None });
  if (handler) conn.on("Result", handler);
  return conn;
}

/** Has the server invoke "Result" on conn, as ASP.NET Core's GET /clientresult/{id} does. */
const ask = (conn) => get(`/clientresult/${conn.connectionId}`);

test("client result: the handler's return value reaches the server", { timeout }, async (t) => {
  const conn = await connectWith(t, () => 10);
  assert.equal(await ask(conn), "10");
});

test("client result: a Promise's value reaches the server", { timeout }, async (t) => {
  const conn = await connectWith(t, () => new Promise((resolve) => setImmediate(() => resolve(42))));
  assert.equal(await ask(conn), "42");
});

test("client result: a handler that throws sends its error", { timeout }, async (t) => {
  const conn = await connectWith(t, () => {
    throw new Error("from callback");
  });
  assert.equal(await ask(conn), "Error: from callback");
});

test("client result: no handler sends the client's error", { timeout }, async (t) => {
  const conn = await connectWith(t, undefined);
  assert.equal(await ask(conn), "Client didn't provide a result.");
  // A handler that returns nothing is the same as none.
  conn.on("Result", () => {});
  assert.equal(await ask(conn), "Client didn't provide a result.");
});

test("client result: a hub method can ask its own caller, given a second invocation slot", { timeout }, async (t) => {
  const conn = await connectWith(t, () => ({ answer: [1, "two"] }), "/hubs/parallel");
  assert.deepEqual(await conn.invoke("AskCaller"), { answer: [1, "two"] });
  conn.off("Result");
  conn.on("Result", async () => {
    throw new Error("from callback");
  });
  await assert.rejects(conn.invoke("AskCaller"), {
    message: "An unexpected error occurred invoking 'AskCaller' on the server. HubException: Error: from callback",
  });
});

test("client result: with one invocation slot, asking the caller fails instead of deadlocking", { timeout }, async (t) => {
  let asked = false;
  const conn = await connectWith(t, () => {
    asked = true;
    return 1;
  });
  await assert.rejects(conn.invoke("AskCaller"), {
    message: "An unexpected error occurred invoking 'AskCaller' on the server.",
  });
  assert.equal(asked, false);
  assert.equal(await conn.invoke("Echo", "alive"), "alive");
});

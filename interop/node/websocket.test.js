// A plain WebSocket (npm ws, which the official client runs on in Node) to the
// Go echo endpoint at /echo: no negotiate, no handshake, as the official
// client's functional tests connect one (dotnet/aspnetcore,
// src/SignalR/clients/ts/FunctionalTests/ts/WebSocketTests.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import WebSocket from "ws";
import { base } from "./helpers.js";

const timeout = 10_000;
const wsURL = (path) => base.replace(/^http/, "ws") + path;

/** Opens a WebSocket to path and resolves once it is open, with its messages and its close event. */
function open(t, path) {
  const ws = new WebSocket(wsURL(path));
  ws.binaryType = "arraybuffer";
  t.after(() => ws.terminate());
  const messages = [];
  let wake = () => {};
  ws.onmessage = (event) => {
    messages.push(event.data);
    wake();
  };
  const closed = new Promise((resolve) => (ws.onclose = resolve));
  return new Promise((resolve, reject) => {
    ws.onopen = () =>
      resolve({
        ws,
        closed,
        async next() {
          while (messages.length === 0) {
            await new Promise((r) => (wake = r));
          }
          return messages.shift();
        },
      });
    ws.onerror = (event) => reject(event.error ?? new Error(event.message));
  });
}

test("WebSockets: can be used to connect to SignalR", { timeout }, async (t) => {
  const c = await open(t, "/echo");
  c.ws.send("message");
  assert.equal(await c.next(), "message");
  c.ws.close(); // no status code, as a browser's close() sends
  const event = await c.closed;
  assert.equal(event.code, 1000);
  assert.equal(event.wasClean, true, "the WebSocket did not close cleanly");
});

test("WebSockets: echoes binary frames as binary and text as text", { timeout }, async (t) => {
  const c = await open(t, "/echo");
  const bytes = new Uint8Array([0, 1, 0x7f, 0x80, 0xc3, 0x28, 0xfe, 0xff]);
  c.ws.send(bytes);
  const got = await c.next();
  assert.ok(got instanceof ArrayBuffer, `received ${got?.constructor?.name}, want an ArrayBuffer`);
  assert.deepEqual(new Uint8Array(got), bytes);
  c.ws.send("ü✓🚀");
  assert.equal(await c.next(), "ü✓🚀");
  c.ws.close(1000, "bye");
  const event = await c.closed;
  assert.equal(event.code, 1000);
  assert.equal(event.wasClean, true, "the WebSocket did not close cleanly");
});

test("WebSockets: the path matches ignoring case", { timeout }, async (t) => {
  const c = await open(t, "/Echo");
  c.ws.send("mixed case");
  assert.equal(await c.next(), "mixed case");
  c.ws.close();
  assert.equal((await c.closed).code, 1000);
});

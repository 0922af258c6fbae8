// Keep-alive against the Go hub at /hubs/keepalive, which pings after 100 ms of
// silence and drops a client silent for 1 s (hubgen's interop_test.go).
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import { HubConnectionState } from "@microsoft/signalr";
import { closed, connect } from "./helpers.js";

test("an idle connection survives on keep-alives", { timeout: 15_000 }, async (t) => {
  // Without the server's pings the client gives up after 1 s; without the
  // client's, which the server's pings prompt, the server gives up after 1 s.
  // (Timeouts of ~6 ping periods: a loaded machine must not trip them.)
  const conn = await connect(t, "/hubs/keepalive", {
    configure: (b) => b.withServerTimeout(1_000).withKeepAliveInterval(100),
  });
  let closeError = "not closed";
  closed(conn).then((e) => (closeError = e));
  await sleep(3_500); // idle for several timeouts: waiting is the point
  assert.equal(closeError, "not closed");
  assert.equal(conn.state, HubConnectionState.Connected);
  assert.equal(await conn.invoke("Echo", "awake"), "awake");
});

// Scenarios of ASP.NET Core's functional tests for the official client
// (src/SignalR/clients/ts/FunctionalTests/ts/HubConnectionTests.ts), run over
// every transport and protocol, as they are there, against the Go hubs at
// /hubs/detailed, which has detailed errors as the functional tests' server
// does, and /hubs/test, which has not (hubgen's interop_test.go).
import assert from "node:assert/strict";
import { test } from "node:test";
import { HttpTransportType, HubConnectionState } from "@microsoft/signalr";
import { collect, connectWith, protocolsAndTransports } from "./helpers.js";

const timeout = 10_000;

for (const [protocol, transport] of protocolsAndTransports) {
  const name = `${protocol} over ${HttpTransportType[transport]}`;

  // "rethrows an exception from the server when streaming": the stream
  // method fails before its first item, which is an invocation error.
  test(`${name}: rethrows an exception from the server when streaming`, { timeout }, async (t) => {
    const conn = await connectWith(t, "/hubs/detailed", protocol, transport);
    assert.deepEqual(await collect(conn.stream("StreamThrowException", "An error occurred.")), {
      items: [],
      error: "An unexpected error occurred invoking 'StreamThrowException' on the server. InvalidOperationException: An error occurred.",
    });
    assert.equal(conn.state, HubConnectionState.Connected);
    assert.equal(await conn.invoke("Echo", "alive"), "alive");
  });

  test(`${name}: without detailed errors, a stream that fails early says only that`, { timeout }, async (t) => {
    const conn = await connectWith(t, "/hubs/test", protocol, transport);
    assert.deepEqual(await collect(conn.stream("StreamThrowException", "An error occurred.")), {
      items: [],
      error: "An unexpected error occurred invoking 'StreamThrowException' on the server.",
    });
    assert.equal(await conn.invoke("Echo", "alive"), "alive");
  });
}

// The official client's HttpConnection, the raw connection under its
// HubConnection, against the Go echo endpoint at /echo (interop's
// functional_test.go), which writes back every message it receives. These are
// the official client's own functional tests of it (dotnet/aspnetcore,
// src/SignalR/clients/ts/FunctionalTests/ts/ConnectionTests.ts, against
// EchoConnectionHandler.cs), scenario by scenario, with the binary transfer
// format and exact bytes besides.
import assert from "node:assert/strict";
import { test } from "node:test";
import { HttpTransportType, TransferFormat } from "@microsoft/signalr";
import { CapturingLogger, openConnection } from "./helpers.js";

const echo = "/echo";
const timeout = 10_000;
const message = "Hello World!";
const transports = [HttpTransportType.WebSockets, HttpTransportType.ServerSentEvents, HttpTransportType.LongPolling];

// Text of every kind: multi-byte runes, quotes, separators, control
// characters, and the record separator of the hub protocol, which means
// nothing here.
const text = 'héllo wörld ✓ 🚀 "quoted" \\ \n\r\n\t\u001e\u0000';
// Every byte value, and bytes that are not UTF-8.
const bytes = new Uint8Array([...Array(256).keys(), 0xc3, 0x28, 0xff, 0xfe, 0x00]);

/** Sends data and checks that want (the same, by default) comes back, in the transfer format's type. */
async function expectEcho(c, format, data, want = data) {
  const sent = c.conn.send(format === TransferFormat.Text ? data : data.slice().buffer);
  const { pieces, data: got } = await c.received(format === TransferFormat.Text ? want.length : want.byteLength);
  await sent;
  for (const piece of pieces) {
    if (format === TransferFormat.Text) {
      assert.equal(typeof piece, "string", `received ${piece?.constructor?.name}, want a string`);
    } else {
      assert.ok(piece instanceof ArrayBuffer, `received ${piece?.constructor?.name}, want an ArrayBuffer`);
    }
  }
  assertSame(got, want);
}

/** Fails where got and want, strings or byte arrays, first differ, quoting a little of each there. */
function assertSame(got, want) {
  let i = 0;
  while (i < got.length && i < want.length && got[i] === want[i]) i++;
  if (i === got.length && i === want.length) {
    return;
  }
  const near = (v) => {
    const part = v.slice(Math.max(0, i - 8), i + 8);
    return typeof v === "string" ? JSON.stringify(part) : `[${Array.from(part).join(", ")}]`;
  };
  assert.fail(`the echo differs at ${i}: got ${got.length} long, ${near(got)} there; want ${want.length} long, ${near(want)}`);
}

/** Stops c and checks that it closed without an error. */
async function expectCleanStop(c) {
  await c.conn.stop();
  assert.equal(await c.closed, undefined);
}

test("connection: can connect to the server without specifying transport explicitly", { timeout }, async (t) => {
  const c = await openConnection(t, echo, TransferFormat.Text, { logMessageContent: true, logger: new CapturingLogger() });
  await expectEcho(c, TransferFormat.Text, message);
  await expectCleanStop(c);
});

test("connection: can connect in the binary format without specifying transport explicitly", { timeout }, async (t) => {
  const c = await openConnection(t, echo, TransferFormat.Binary);
  await expectEcho(c, TransferFormat.Binary, bytes);
  await expectCleanStop(c);
});

for (const transport of transports) {
  const over = `connection over ${HttpTransportType[transport]}`;

  test(`${over}: can send and receive messages`, { timeout }, async (t) => {
    const c = await openConnection(t, echo, TransferFormat.Text, { transport, logMessageContent: true, logger: new CapturingLogger() });
    await expectEcho(c, TransferFormat.Text, message);
    await expectCleanStop(c);
  });

  test(`${over}: echoes text exactly, message after message`, { timeout }, async (t) => {
    const c = await openConnection(t, echo, TransferFormat.Text, { transport });
    if (transport === HttpTransportType.ServerSentEvents) {
      // An event is lines of data: a CR LF in a message arrives as an LF, as
      // with ASP.NET Core, whose formatter ends each line with CR LF.
      await expectEcho(c, TransferFormat.Text, text, text.replaceAll("\r\n", "\n"));
    } else {
      await expectEcho(c, TransferFormat.Text, text);
    }
    await expectEcho(c, TransferFormat.Text, "line feeds\n\nat the end\n");
    await expectEcho(c, TransferFormat.Text, "\n");
    await expectEcho(c, TransferFormat.Text, "x".repeat(100_000));
    await expectEcho(c, TransferFormat.Text, "ü✓🚀".repeat(20_000));
    for (let i = 0; i < 10; i++) {
      await expectEcho(c, TransferFormat.Text, `message ${i}`);
    }
    await expectCleanStop(c);
  });

  if (transport === HttpTransportType.ServerSentEvents) {
    test(`${over}: refuses the binary format`, { timeout }, async (t) => {
      // Negotiate says Server-Sent Events carry only text; the client then
      // has no transport to use.
      await assert.rejects(openConnection(t, echo, TransferFormat.Binary, { transport }), {
        message: /^Unable to connect to the server with any of the available transports\. .*'ServerSentEvents' does not support Binary\./,
      });
    });
  } else {
    test(`${over}: echoes binary exactly, as ArrayBuffers`, { timeout }, async (t) => {
      const c = await openConnection(t, echo, TransferFormat.Binary, { transport });
      await expectEcho(c, TransferFormat.Binary, bytes);
      await expectEcho(c, TransferFormat.Binary, new Uint8Array(100_000).map((_, i) => i * 7));
      for (let i = 0; i < 10; i++) {
        await expectEcho(c, TransferFormat.Binary, new Uint8Array([i, 0, 255 - i]));
      }
      await expectCleanStop(c);
    });
  }

  test(`${over}: does not log content of messages sent or received by default`, { timeout }, async (t) => {
    const logger = new CapturingLogger();
    const c = await openConnection(t, echo, TransferFormat.Text, { transport, logger });
    await expectEcho(c, TransferFormat.Text, message);
    await expectCleanStop(c);
    assert.ok(logger.messages.length > 0, "the client logged nothing");
    assert.equal(logger.count(message), 0, `the log shows the message:\n${logger.messages.map(([, m]) => m).join("\n")}`);
  });

  test(`${over}: does log content of messages sent or received when enabled`, { timeout }, async (t) => {
    const logger = new CapturingLogger();
    const c = await openConnection(t, echo, TransferFormat.Text, { transport, logger, logMessageContent: true });
    await expectEcho(c, TransferFormat.Text, message);
    await expectCleanStop(c);
    // Once sent, once received.
    assert.equal(logger.count(message), 2, `the log:\n${logger.messages.map(([, m]) => m).join("\n")}`);
  });
}

// Shared helpers of the interop tests. go test ./interop/ serves the Go hubs
// and endpoints and sets HUB_URL to their base URL.
import { HttpTransportType, HubConnectionBuilder, LogLevel, TransferFormat } from "@microsoft/signalr";
import { HttpConnection } from "@microsoft/signalr/dist/cjs/HttpConnection.js";
import { MessagePackHubProtocol } from "@microsoft/signalr-protocol-msgpack";

// HttpConnection is the official client's raw connection, the one its
// HubConnection runs on. The package ships it without exporting it from its
// index; its own functional tests import it from the file, as we do.
export { HttpConnection };

export const base = process.env.HUB_URL;
if (!base) {
  throw new Error("HUB_URL is not set: run these tests with `go test ./interop/`");
}

/**
 * Starts a connection to the hub at path (e.g. "/hubs/test"), over WebSockets
 * unless transport says otherwise, and stops it when test t ends.
 * configure(builder) may adjust the builder.
 */
export async function connect(t, path, { transport = HttpTransportType.WebSockets, skipNegotiation = false, logLevel = LogLevel.Warning, configure } = {}) {
  let builder = new HubConnectionBuilder()
    .withUrl(base + path, { transport, skipNegotiation })
    .configureLogging(logLevel);
  builder = configure ? configure(builder) : builder;
  const conn = builder.build();
  t.after(() => conn.stop());
  await conn.start();
  return conn;
}

/** Records every call of a client method, and awaits the next with next(). */
export function record(conn, method) {
  const calls = [];
  let wake = () => {};
  let seen = 0;
  conn.on(method, (...args) => {
    calls.push(args);
    wake();
  });
  return {
    calls,
    async next() {
      while (calls.length <= seen) {
        await new Promise((resolve) => (wake = resolve));
      }
      return calls[seen++];
    },
  };
}

/** Resolves with the error given to onclose (undefined for a clean close). */
export function closed(conn) {
  return new Promise((resolve) => conn.onclose(resolve));
}

/** GETs path from the test server and resolves with the body's text. */
export async function get(path) {
  const response = await fetch(base + path);
  if (!response.ok) {
    throw new Error(`GET ${path}: status ${response.status}`);
  }
  return response.text();
}

/**
 * Subscribes to a stream and resolves when it ends with { items }, or with
 * { items, error } (the error's message) when it fails.
 */
export function collect(stream) {
  const items = [];
  return new Promise((resolve) => {
    stream.subscribe({
      next: (item) => items.push(item),
      complete: () => resolve({ items }),
      error: (e) => resolve({ items, error: e.message }),
    });
  });
}

/** A logger that keeps every message at every level, as the official functional tests' TestLogger does. */
export class CapturingLogger {
  messages = [];
  log(level, message) {
    this.messages.push([level, message]);
  }
  /** How many messages contain text. */
  count(text) {
    return this.messages.filter(([, message]) => message.includes(text)).length;
  }
}

/**
 * Starts an HttpConnection to the endpoint at path (e.g. "/echo") in transfer
 * format, with the client's options, and stops it when test t ends. It returns
 * the connection, a promise of the error onclose gets (undefined for a clean
 * close), and received(n), which resolves with what came in once it holds n
 * characters (Text) or bytes (Binary), or with what did after 5 seconds: the
 * pieces as they came, and their concatenation.
 */
export async function openConnection(t, path, format, options = {}) {
  const conn = new HttpConnection(base + path, options);
  const pieces = [];
  let wake = () => {};
  conn.onreceive = (data) => {
    pieces.push(data);
    wake();
  };
  const closed = new Promise((resolve) => (conn.onclose = resolve));
  t.after(() => conn.stop());
  await conn.start(format);
  let taken = 0;
  return {
    conn,
    closed,
    /** Waits for n more characters or bytes, and returns them. */
    async received(n) {
      let late = false;
      const deadline = setTimeout(() => ((late = true), wake()), 5_000);
      for (;;) {
        const got = pieces.slice(taken);
        const size = got.reduce((sum, p) => sum + (typeof p === "string" ? p.length : p.byteLength), 0);
        if (size >= n || late) {
          clearTimeout(deadline);
          taken = pieces.length;
          return { pieces: got, data: format === TransferFormat.Text ? got.join("") : concat(got) };
        }
        await new Promise((resolve) => (wake = resolve));
      }
    },
  };
}

/** Joins ArrayBuffers into one Uint8Array. */
function concat(buffers) {
  const out = new Uint8Array(buffers.reduce((sum, b) => sum + (b.byteLength ?? 0), 0));
  let at = 0;
  for (const b of buffers) {
    out.set(new Uint8Array(b), at);
    at += b.byteLength;
  }
  return out;
}

/**
 * Every transport with every protocol it carries: JSON over WebSockets,
 * Server-Sent Events and Long Polling; MessagePack over WebSockets and Long
 * Polling.
 */
export const protocolsAndTransports = [
  ["json", HttpTransportType.WebSockets],
  ["json", HttpTransportType.ServerSentEvents],
  ["json", HttpTransportType.LongPolling],
  ["messagepack", HttpTransportType.WebSockets],
  ["messagepack", HttpTransportType.LongPolling],
];

/** Connects to the hub at path with the given protocol and transport. */
export function connectWith(t, path, protocol, transport) {
  return connect(t, path, {
    transport,
    configure: (b) => (protocol === "messagepack" ? b.withHubProtocol(new MessagePackHubProtocol()) : b),
  });
}

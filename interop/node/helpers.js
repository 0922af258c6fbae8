// Shared helpers of the interop tests. go test ./interop/ serves the Go hubs
// and sets HUB_URL to their base URL.
import { HttpTransportType, HubConnectionBuilder, LogLevel } from "@microsoft/signalr";

const base = process.env.HUB_URL;
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

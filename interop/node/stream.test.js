// Streams both ways against the Go hub at /hubs/test (hubgen's interop_test.go).
import assert from "node:assert/strict";
import { test } from "node:test";
import { HubConnectionState, Subject } from "@microsoft/signalr";
import { collect, connect, record } from "./helpers.js";

const hub = "/hubs/test";
const timeout = 10_000;

/** Asserts that promise rejects with an Error whose message is exactly message. */
const rejects = (promise, message) =>
  assert.rejects(promise, (e) => {
    assert.equal(e.message, message);
    return true;
  });

test("stream delivers items in order, then completes", { timeout }, async (t) => {
  const conn = await connect(t, hub);
  assert.deepEqual(await collect(conn.stream("Counter", 3)), { items: [0, 1, 2] });
  assert.deepEqual(await collect(conn.stream("Counter", 0)), { items: [] }); // an empty stream completes at once
  assert.deepEqual(await collect(conn.stream("counter", 2)), { items: [0, 1] }); // any letter case
});

test("streams run side by side on one connection", { timeout }, async (t) => {
  const conn = await connect(t, hub);
  const [long, short] = await Promise.all([collect(conn.stream("Counter", 50)), collect(conn.stream("Counter", 5))]);
  assert.deepEqual(long, { items: [...Array(50).keys()] });
  assert.deepEqual(short, { items: [0, 1, 2, 3, 4] });
  assert.equal(await conn.invoke("Echo", "after"), "after");
});

test("stream of objects keeps the JSON field names", { timeout }, async (t) => {
  const conn = await connect(t, hub);
  assert.deepEqual(await collect(conn.stream("Items", 2)), {
    items: [
      { name: "item 0", count: 0, price: 0.25, tags: ["t", "0"], attrs: { i: 0 }, note: null },
      { name: "item 1", count: 1, price: 1.25, tags: ["t", "1"], attrs: { i: 1 }, note: "odd" },
    ],
  });
});

test("a failing stream delivers its items, then ASP.NET Core's error", { timeout }, async (t) => {
  const conn = await connect(t, hub);
  assert.deepEqual(await collect(conn.stream("FailAfter", 2, "Something bad")), {
    items: [0, 1],
    error: "An error occurred on the server while streaming results. HubException: Something bad",
  });
  // An error that is not a hub.Error keeps its text on the server.
  assert.deepEqual(await collect(conn.stream("FailAfter", 1, "")), {
    items: [0],
    error: "An error occurred on the server while streaming results.",
  });
  // Failing before the first item is an invocation error.
  assert.deepEqual(await collect(conn.stream("FailAfter", -1, "An error occurred.")), {
    items: [],
    error: "An unexpected error occurred invoking 'FailAfter' on the server. HubException: An error occurred.",
  });
  assert.equal(conn.state, HubConnectionState.Connected);
});

test("streaming and non-streaming calls of the wrong kind fail with ASP.NET Core's texts", { timeout }, async (t) => {
  const conn = await connect(t, hub);
  await rejects(conn.invoke("Counter", 3),
    "The client attempted to invoke the streaming 'Counter' method with a non-streaming invocation.");
  assert.deepEqual(await collect(conn.stream("Echo", "x")), {
    items: [],
    error: "The client attempted to invoke the non-streaming 'Echo' method with a streaming invocation.",
  });
  assert.equal(await conn.invoke("Echo", "alive"), "alive");
});

test("disposing a subscription cancels the stream on the server", { timeout }, async (t) => {
  const conn = await connect(t, hub);
  const canceled = record(conn, "StreamCanceled");
  const seen = [];
  let subscription;
  const first = new Promise((resolve, reject) => {
    subscription = conn.stream("Forever").subscribe({
      next: (item) => {
        seen.push(item);
        resolve();
      },
      error: reject,
      complete: () => reject(new Error("the endless stream completed")),
    });
  });
  await first;
  subscription.dispose(); // sends CancelInvocation
  // The hub method saw its ctx end, and said so.
  assert.deepEqual(await canceled.next(), []);
  assert.equal(seen[0], 0);
  const count = seen.length;
  assert.equal(await conn.invoke("Echo", "alive"), "alive");
  assert.equal(seen.length, count); // the client forgot the stream
});

test("1,000 subscriptions disposed at once all end their streams on the server", { timeout: 60_000 }, async (t) => {
  const conn = await connect(t, hub);
  const canceled = record(conn, "StreamCanceled");
  // In rounds of 20, well under the hub's 100 streams a connection.
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 20; i++) {
      // The official client sends the StreamInvocation and, right behind
      // it, the CancelInvocation: the hub must never miss the cancel.
      conn.stream("Forever").subscribe({ next: () => {}, error: () => {}, complete: () => {} }).dispose();
    }
    for (let i = 0; i < 20; i++) {
      await canceled.next(); // each stream's ctx ended, and the method said so
    }
  }
  assert.equal(canceled.calls.length, 1000);
  assert.equal(await conn.invoke("Echo", "alive"), "alive");
});

test("upload: Subject items reach the method, in order", { timeout }, async (t) => {
  const conn = await connect(t, hub);
  const subject = new Subject();
  const result = conn.invoke("Concat", subject);
  for (const s of ["a", "b", "ü", "🚀"]) subject.next(s);
  subject.complete();
  assert.equal(await result, "abü🚀");

  const empty = new Subject();
  const nothing = conn.invoke("Concat", empty);
  empty.complete();
  assert.equal(await nothing, "");
});

test("upload: the client's error reaches the method as a HubException", { timeout }, async (t) => {
  const conn = await connect(t, hub);
  const subject = new Subject();
  const result = conn.invoke("Concat", subject);
  subject.next("a");
  subject.error(new Error("boom")); // the client sends the Error's message
  await rejects(result, "An unexpected error occurred invoking 'Concat' on the server. HubException: boom");

  const other = new Subject();
  const second = conn.invoke("Concat", other);
  other.error("not an Error"); // anything else goes as its toString()
  await rejects(second, "An unexpected error occurred invoking 'Concat' on the server. HubException: not an Error");
  assert.equal(conn.state, HubConnectionState.Connected);
});

test("upload: two streams in one invocation, with an argument between them", { timeout }, async (t) => {
  const conn = await connect(t, hub);
  const [first, second] = [new Subject(), new Subject()];
  // The client only finds stream arguments that are not next to each other.
  const result = conn.invoke("Join", first, "+", second);
  first.next("a");
  second.next("x");
  first.next("b");
  second.next("y");
  second.complete();
  first.complete();
  assert.equal(await result, "ab+xy");
});

test("upload: refused invocations fail alone, whatever the client streams", { timeout }, async (t) => {
  const conn = await connect(t, hub);
  await rejects(conn.invoke("Concat"),
    "An unexpected error occurred invoking 'Concat' on the server. HubException: Client sent 0 stream(s), Hub method expects 1.");

  // Adjacent streams: the client sends the second as an argument, so the
  // server refuses the call, and the first streams to no open stream.
  const [first, second] = [new Subject(), new Subject()];
  await rejects(conn.invoke("Join", first, second, "+"), "Failed to invoke 'Join' due to an error on the server.");
  first.next("a");
  first.complete();
  const extra = new Subject();
  await rejects(conn.invoke("Concat", extra, "extra"), "Failed to invoke 'Concat' due to an error on the server.");
  extra.next("b");
  extra.complete();
  // The items above were sent before this invocation: the server dropped them
  // and kept the connection.
  await new Promise(setImmediate);
  assert.equal(await conn.invoke("Echo", "alive"), "alive");
  assert.equal(conn.state, HubConnectionState.Connected);
});

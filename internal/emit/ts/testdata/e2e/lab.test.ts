// The generated TypeScript client (lab.ts, written by hubgen -ts beside this
// file) against the Go hub of lab/, served by TestNodeClient
// (internal/emit/ts/e2e_test.go) at $LAB_URL. tsc --strict compiles both, so
// this file also checks that the generated types fit what the hub sends.
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import { HttpTransportType, HubConnectionBuilder, LogLevel, Subject, type HubConnection, type IStreamResult } from "@microsoft/signalr";
import { createLabProxy, registerWatcher, type Lab, type LabRecord, type LabRecordInput, type Note, type Point, type Reply, type Watcher } from "./lab.js";

const url = process.env["LAB_URL"];
const timeout = 10_000;

async function connect(t: TestContext, transport = HttpTransportType.WebSockets): Promise<HubConnection> {
  assert.ok(url, "LAB_URL is not set: run this test with go test ./internal/emit/ts/");
  const connection = new HubConnectionBuilder().withUrl(url, { transport }).configureLogging(LogLevel.Error).build();
  t.after(() => connection.stop());
  await connection.start();
  return connection;
}

/** Resolves with the items of a stream, or rejects with its error. */
function collect<T>(stream: IStreamResult<T>): Promise<T[]> {
  const items: T[] = [];
  return new Promise((resolve, reject) => {
    stream.subscribe({ next: (item) => items.push(item), error: reject, complete: () => resolve(items) });
  });
}

const full: LabRecord = {
  id: "r1",
  by: "someone",
  name: "full",
  tags: ["a", "b"],
  labels: ["l"],
  attrs: { one: 1 },
  at: "2024-05-06T07:08:09.123456789Z",
  when: "2024-05-06T07:08:09Z",
  data: Buffer.from("hello").toString("base64"),
  count: "9007199254740993", // beyond 2^53: safe as a string
  note: "a note",
  kind: "special",
  pos: { X: 1.5, Y: -2 },
};

for (const transport of [HttpTransportType.WebSockets, HttpTransportType.ServerSentEvents, HttpTransportType.LongPolling]) {
  test(`invoke with a result round-trips every field over ${HttpTransportType[transport]}`, { timeout }, async (t) => {
    const lab: Lab = createLabProxy(await connect(t, transport));
    assert.deepEqual(await lab.echo(full), full);
  });
}

test("a Date is sent where a time.Time is expected, and arrives as a string", { timeout }, async (t) => {
  const lab = createLabProxy(await connect(t));
  const at = new Date(Date.UTC(2024, 4, 6, 7, 8, 9, 123));
  const sent: LabRecordInput = { ...full, at, when: at };
  const back: LabRecord = await lab.echo(sent);
  assert.equal(back.at, "2024-05-06T07:08:09.123Z");
  assert.equal(back.when, "2024-05-06T07:08:09.123Z");
  assert.deepEqual(await lab.echo(back), back); // what arrives may be sent back
});

test("the zero value has nulls and leaves omitted fields out, as the types say", { timeout }, async (t) => {
  const lab = createLabProxy(await connect(t));
  const zero: LabRecord = await lab.zero();
  assert.deepEqual(zero, {
    id: "",
    name: "",
    tags: null,
    attrs: null,
    at: "0001-01-01T00:00:00Z",
    data: null,
    count: "0",
    note: null,
    pos: { X: 0, Y: 0 },
  });
  // What the hub leaves out, the client may leave out too, and nulls are
  // accepted where the types allow them.
  const sparse: LabRecord = { id: "", name: "sparse", tags: null, attrs: null, at: full.at, data: null, count: "1", note: null, pos: { X: 0, Y: 0 } };
  assert.deepEqual(await lab.echo(sparse), sparse);
});

test("a method without a result waits for the hub, and the hub's errors reject", { timeout }, async (t) => {
  const lab = createLabProxy(await connect(t));
  const before = await lab.touches();
  const touched: void = await lab.touch();
  assert.equal(touched, undefined);
  assert.equal(await lab.touches(), before + 1);
  await assert.rejects(lab.fail("no such thing"), {
    message: "An unexpected error occurred invoking 'Fail' on the server. HubException: no such thing",
  });
});

test("the hub's sends reach the registered receiver, until dispose", { timeout }, async (t) => {
  const connection = await connect(t);
  const lab = createLabProxy(connection);
  const notes: Note[] = [];
  let noted = (): void => {};
  const watcher: Watcher = {
    notify(n: Note): void {
      notes.push(n);
      noted();
    },
    answer: (question: string): Reply => ({ text: `re: ${question}` }),
  };
  const registration = registerWatcher(connection, watcher);
  const arrived = new Promise<void>((resolve) => (noted = resolve));
  await lab.broadcast("hello");
  await arrived;
  assert.deepEqual(notes, [{ from: "server", text: "hello" }]);

  registration.dispose();
  await lab.broadcast("unheard");
  await lab.touches(); // a round trip after the broadcast
  assert.equal(notes.length, 1);
});

test("a client result comes from the receiver, or from its promise", { timeout }, async (t) => {
  const connection = await connect(t);
  const lab = createLabProxy(connection);
  const registration = registerWatcher(connection, {
    notify: () => {},
    answer: async (question: string): Promise<Reply | null> => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      return question === "none?" ? null : { text: question.toUpperCase(), sure: question.endsWith("!") };
    },
  });
  assert.equal(await lab.ask("why"), "WHY");
  assert.equal(await lab.ask("sure!"), "SURE!!");
  assert.equal(await lab.ask("none?"), "(null)");
  registration.dispose();
  await assert.rejects(lab.ask("anyone?"), /Ask/);
});

test("a server stream is an IStreamResult", { timeout }, async (t) => {
  const lab = createLabProxy(await connect(t));
  const stream: IStreamResult<number> = lab.count(5);
  assert.deepEqual(await collect(stream), [0, 1, 2, 3, 4]);
  assert.deepEqual(await collect(lab.count(0)), []);
});

test("an upload is a Subject, and the method completes after it", { timeout }, async (t) => {
  const lab = createLabProxy(await connect(t));
  const nums = new Subject<number>();
  const sum = lab.sum(2, nums);
  nums.next(1);
  nums.next(2.5);
  nums.complete();
  assert.equal(await sum, 7);
});

test("a stream can take an upload, under its //hubgen:name", { timeout }, async (t) => {
  const lab = createLabProxy(await connect(t));
  const points = new Subject<Point>();
  const doubled = collect(lab.double(points));
  points.next({ X: 1, Y: 2 });
  points.next({ X: -0.5, Y: 0 });
  points.complete();
  assert.deepEqual(await doubled, [
    { X: 2, Y: 4 },
    { X: -1, Y: 0 },
  ]);
});

test("for await receives every item of a stream", { timeout }, async (t) => {
  const lab = createLabProxy(await connect(t));
  const items: number[] = [];
  for await (const n of lab.count(5)) {
    items.push(n);
  }
  assert.deepEqual(items, [0, 1, 2, 3, 4]);
  for await (const n of lab.count(0)) {
    assert.fail(`an empty stream gave ${n}`);
  }
});

test("aborting the signal ends the loop and the hub method's ctx", { timeout }, async (t) => {
  const lab = createLabProxy(await connect(t));
  const abort = new AbortController();
  const seen: number[] = [];
  await assert.rejects(
    (async () => {
      for await (const n of lab.forever("aborted", abort.signal)) {
        seen.push(n);
        abort.abort();
      }
    })(),
    { name: "AbortError" },
  );
  assert.deepEqual(seen, [0]);
  assert.equal(await lab.ended("aborted"), true); // returns once the hub saw ctx.Done
});

test("leaving the loop cancels the stream too, and so does an abort of a subscription", { timeout }, async (t) => {
  const lab = createLabProxy(await connect(t));
  for await (const n of lab.forever("left")) {
    assert.equal(n, 0);
    break;
  }
  assert.equal(await lab.ended("left"), true);

  const abort = new AbortController();
  const failed = new Promise<unknown>((resolve) => {
    lab.forever("subscribed", abort.signal).subscribe({ next: () => abort.abort(), error: resolve, complete: () => resolve("completed") });
  });
  assert.equal((await failed as Error).name, "AbortError");
  assert.equal(await lab.ended("subscribed"), true);
});

test("an aborted signal cancels a stream before its first item", { timeout }, async (t) => {
  const lab = createLabProxy(await connect(t));
  await assert.rejects(
    (async () => {
      for await (const n of lab.forever("early", AbortSignal.abort())) {
        assert.fail(`an aborted stream gave ${n}`);
      }
    })(),
    { name: "AbortError" },
  );
  assert.equal(await lab.ended("early"), true);
});

async function* numbers(...nums: number[]): AsyncGenerator<number> {
  for (const n of nums) {
    await new Promise((resolve) => setImmediate(resolve));
    yield n;
  }
}

test("an upload takes an array or an async generator, awaited at once, and returns the hub's result", { timeout }, async (t) => {
  const lab = createLabProxy(await connect(t));
  assert.equal(await lab.sum(2, [1, 2.5]), 7);
  assert.equal(await lab.sum(3, []), 0);
  assert.equal(await lab.sum(2, numbers(1, 2, 3)), 12);
  assert.equal(await lab.sum(1, new Set([0.5, 0.25])), 0.75);
  const doubled: Point[] = [];
  for await (const p of lab.double([{ X: 1, Y: 2 }])) {
    doubled.push(p);
  }
  assert.deepEqual(doubled, [{ X: 2, Y: 4 }]);
});

test("an upload whose iterable throws fails the invocation", { timeout }, async (t) => {
  const lab = createLabProxy(await connect(t));
  async function* failing(): AsyncGenerator<number> {
    yield 1;
    throw new Error("no more numbers");
  }
  await assert.rejects(lab.sum(1, failing()), /Sum/);
  assert.equal(await lab.sum(1, [4]), 4); // the connection goes on
});

test("an endless upload to a stream stops being read when the stream ends", { timeout }, async (t) => {
  const lab = createLabProxy(await connect(t));
  let stopped = (): void => {};
  const finished = new Promise<void>((resolve) => (stopped = resolve));
  async function* endless(): AsyncGenerator<Point> {
    try {
      for (let x = 1; ; x++) {
        await new Promise((resolve) => setImmediate(resolve));
        yield { X: x, Y: 0 };
      }
    } finally {
      stopped();
    }
  }
  const seen: number[] = [];
  for await (const p of lab.double(endless())) {
    seen.push(p.X);
    if (seen.length === 2) {
      break;
    }
  }
  assert.deepEqual(seen, [2, 4]);
  await finished; // the generator's finally ran: the proxy let go of it
});

test("a stream's iterator answers calls of next made before the last resolved, in order", { timeout }, async (t) => {
  const lab = createLabProxy(await connect(t));
  const it = lab.count(3)[Symbol.asyncIterator]();
  const results = await Promise.all([it.next(), it.next(), it.next(), it.next()]);
  assert.deepEqual(results, [
    { value: 0, done: false },
    { value: 1, done: false },
    { value: 2, done: false },
    { value: undefined, done: true },
  ]);
});

// Every transport with every protocol it carries, against the Go hub at
// /hubs/test (hubgen's interop_test.go): JSON over WebSockets, Server-Sent
// Events and Long Polling; MessagePack over WebSockets and Long Polling.
import assert from "node:assert/strict";
import { test } from "node:test";
import { HttpTransportType, Subject } from "@microsoft/signalr";
import { collect, connectWith, get, protocolsAndTransports, record } from "./helpers.js";

const hub = "/hubs/test";
const timeout = 10_000;

for (const [protocol, transport] of protocolsAndTransports) {
  const name = `${protocol} over ${HttpTransportType[transport]}`;
  const open = (t) => connectWith(t, hub, protocol, transport);

  test(`${name}: invoke`, { timeout }, async (t) => {
    const conn = await open(t);
    assert.equal(await conn.invoke("Transport"), `${HttpTransportType[transport]}/${protocol}`);
    const text = 'héllo wörld ✓ 🚀 "quoted" \\ \n\r\n\t\u001e';
    assert.equal(await conn.invoke("Echo", text), text);
    for (const n of [0, -1.5, 2 ** 53 - 1, Number.MAX_VALUE]) {
      assert.equal(await conn.invoke("EchoNumber", n), n);
    }
    const big = "x".repeat(20_000);
    assert.equal(await conn.invoke("Echo", big), big);
    assert.equal(await conn.invoke("Nothing"), undefined);
    await assert.rejects(conn.invoke("Fail", "bad input"), {
      message: "An unexpected error occurred invoking 'Fail' on the server. HubException: bad input",
    });
    const results = await Promise.all([...Array(20).keys()].map((i) => conn.invoke("Echo", `call ${i}`)));
    assert.deepEqual(results, [...Array(20).keys()].map((i) => `call ${i}`));
  });

  test(`${name}: send`, { timeout }, async (t) => {
    const conn = await open(t);
    const received = record(conn, "Receive");
    assert.equal(await conn.send("CallMeBack", "sent"), undefined);
    assert.deepEqual(await received.next(), ["sent"]);
  });

  test(`${name}: receive calls and answer client results`, { timeout }, async (t) => {
    const conn = await open(t);
    const received = record(conn, "Receive");
    await conn.invoke("CallMeBack", "called");
    assert.deepEqual(received.calls, [["called"]]); // the call came before the completion
    conn.on("Result", () => 42);
    assert.equal(await get(`/clientresult/${conn.connectionId}`), "42"); // the answer goes back in a send
  });

  test(`${name}: stream`, { timeout }, async (t) => {
    const conn = await open(t);
    assert.deepEqual(await collect(conn.stream("Counter", 5)), { items: [0, 1, 2, 3, 4] });

    // Disposing sends CancelInvocation.
    const canceled = record(conn, "StreamCanceled");
    await new Promise((resolve, reject) => {
      const subscription = conn.stream("Forever").subscribe({
        next: () => {
          subscription.dispose();
          resolve();
        },
        error: reject,
        complete: () => reject(new Error("the endless stream completed")),
      });
    });
    assert.deepEqual(await canceled.next(), []);

    // Upload.
    const subject = new Subject();
    const result = conn.invoke("Concat", subject);
    for (const s of ["a", "b", "ü", "🚀"]) subject.next(s);
    subject.complete();
    assert.equal(await result, "abü🚀");
  });

  if (protocol === "json") {
    test(`${name}: objects keep the JSON field names`, { timeout }, async (t) => {
      const conn = await open(t);
      const item = { name: "ünï", count: 3, price: 9.99, tags: ["a", "b"], attrs: { x: 1 }, note: null };
      assert.deepEqual(await conn.invoke("EchoItem", item), item);
    });
  } else {
    test(`${name}: objects are maps of Go field names; Date and Uint8Array round-trip`, { timeout }, async (t) => {
      const conn = await open(t);
      const when = new Date(Date.UTC(2024, 1, 29, 12, 30, 45, 123));
      const rec = { Name: "ünï", When: when, Data: new Uint8Array([0, 1, 254, 255]), count: 3, Tags: ["a", "b"], Note: null };
      // Go decoded a timestamp into time.Time, bin into []byte, and the keys into the fields.
      assert.equal(await conn.invoke("DescribeRecord", rec), 'ünï|2024-02-29T12:30:45.123Z|0001feff|3|["a" "b"]|<nil>');
      const back = await conn.invoke("EchoRecord", rec);
      assert.ok(back.When instanceof Date, `When is ${back.When}`);
      assert.ok(back.Data instanceof Uint8Array, `Data is ${back.Data}`);
      assert.deepEqual(back, rec);
      assert.deepEqual(
        await conn.invoke("EchoRecord", { ...rec, Note: "set", Data: new Uint8Array(), Tags: null }),
        { ...rec, Note: "set", Data: new Uint8Array(), Tags: null },
      );
    });
  }
}

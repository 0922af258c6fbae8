// What arrives from the Go hub of lab/ over each hub protocol, checked
// against the types hubgen generated for it: lab.ts (JSON, the default) and
// msgpack/lab.ts (-ts-protocol messagepack). A Schema<T> names a check for
// every property of T, which tsc enforces (a property left out, or a check
// that accepts more than T's property, does not compile), and conforms
// fails on any property the value has and T does not: each check is
// exhaustive both ways.
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import { HubConnectionBuilder, LogLevel, type HubConnection, type IHubProtocol } from "@microsoft/signalr";
import { MessagePackHubProtocol } from "@microsoft/signalr-protocol-msgpack";
import * as J from "./lab.js";
import * as M from "./msgpack/lab.js";

const url = process.env["LAB_URL"];
const timeout = 10_000;

type Guard<T> = (v: unknown) => v is T;
type OptionalKeys<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? K : never }[keyof T];
type Schema<T> = {
  [K in keyof T]-?: K extends OptionalKeys<T> ? Guard<Exclude<T[K], undefined> | undefined> : Guard<T[K]>;
};

const failures: string[] = [];

/** conforms reports whether v has exactly the properties of schema, each passing its check. */
function conforms<T>(v: unknown, schema: Schema<T>, path = "value"): v is T {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    failures.push(`${path}: not an object: ${String(v)}`);
    return false;
  }
  let ok = true;
  for (const k of Object.keys(v)) {
    if (!(k in schema)) {
      failures.push(`${path}.${k}: not in the type`);
      ok = false;
    }
  }
  for (const [k, check] of Object.entries(schema) as [string, Guard<unknown>][]) {
    const value: unknown = (v as Record<string, unknown>)[k];
    if (!check(value)) {
      failures.push(`${path}.${k}: ${describe(value)} does not fit`);
      ok = false;
    }
  }
  return ok;
}

function describe(v: unknown): string {
  if (typeof v === "object" && v !== null) {
    return `${v.constructor.name} ${JSON.stringify(v)}`;
  }
  return JSON.stringify(v) ?? String(v);
}

const object =
  <T>(schema: Schema<T>): Guard<T> =>
  (v): v is T =>
    conforms(v, schema);
const isString: Guard<string> = (v): v is string => typeof v === "string";
const isNumber: Guard<number> = (v): v is number => typeof v === "number";
const isDate: Guard<Date> = (v): v is Date => v instanceof Date;
const isBytes: Guard<Uint8Array> = (v): v is Uint8Array => v instanceof Uint8Array;
const nullable =
  <T>(g: Guard<T>): Guard<T | null> =>
  (v): v is T | null =>
    v === null || g(v);
const optional =
  <T>(g: Guard<T>): Guard<T | undefined> =>
  (v): v is T | undefined =>
    v === undefined || g(v);
const arrayOf =
  <T>(g: Guard<T>): Guard<T[]> =>
  (v): v is T[] =>
    Array.isArray(v) && v.every(g);
const oneOf =
  <T extends string | number>(...values: T[]): Guard<T> =>
  (v): v is T =>
    values.includes(v as T);
const entries = (v: unknown, key: Guard<string>, value: Guard<unknown>): boolean =>
  typeof v === "object" && v !== null && !Array.isArray(v) && Object.entries(v).every(([k, x]) => key(k) && value(x));
const recordOf =
  <V>(value: Guard<V>): Guard<Record<string, V>> =>
  (v): v is Record<string, V> =>
    entries(v, isString, value);
const partialOf =
  <K extends string, V>(key: Guard<K>, value: Guard<V>): Guard<Partial<Record<K, V>>> =>
  (v): v is Partial<Record<K, V>> =>
    entries(v, key, value);

const jsonPoint: Schema<J.Point> = { X: isNumber, Y: isNumber };
const jsonSample: Schema<J.Sample> = {
  id: isString,
  by: optional(isString),
  name: isString,
  noPack: isString,
  tags: optional(arrayOf(isString)),
  labels: nullable(arrayOf(isString)),
  at: isString,
  when: optional(isString),
  data: nullable(isString),
  hash: arrayOf(isNumber),
  count: isString,
  status: oneOf<J.Status>(...Object.values(J.Status), ""),
  priority: oneOf<J.Priority>(...Object.values(J.Priority), 0),
  byStatus: nullable(partialOf(oneOf<J.Status>(...Object.values(J.Status), ""), isNumber)),
  byID: nullable(recordOf(isString)),
  code: isString,
  points: nullable(arrayOf(object(jsonPoint))),
  note: nullable(isString),
};

const msgpackPoint: Schema<M.Point> = { X: isNumber, Y: isNumber };
const msgpackSample: Schema<M.Sample> = {
  ID: isString,
  By: optional(nullable(isString)),
  Name: isString,
  Hidden: isString,
  Tags: nullable(arrayOf(isString)),
  labels: optional(arrayOf(isString)),
  At: isDate,
  When: nullable(isDate),
  Data: nullable(isBytes),
  Hash: isBytes,
  Count: isNumber,
  Status: oneOf<M.Status>(...Object.values(M.Status), ""),
  Priority: oneOf<M.Priority>(...Object.values(M.Priority), 0),
  ByStatus: nullable(partialOf(oneOf<M.Status>(...Object.values(M.Status), ""), isNumber)),
  ByID: nullable(recordOf(isString)),
  Code: isString,
  Points: nullable(arrayOf(object(msgpackPoint))),
  Note: nullable(isString),
};

async function connect(t: TestContext, protocol?: IHubProtocol): Promise<HubConnection> {
  assert.ok(url, "LAB_URL is not set: run this test with go test ./internal/emit/ts/");
  const builder = new HubConnectionBuilder().withUrl(url).configureLogging(LogLevel.Error);
  const connection = (protocol ? builder.withHubProtocol(protocol) : builder).build();
  t.after(() => connection.stop());
  await connection.start();
  return connection;
}

function fits<T>(v: unknown, schema: Schema<T>): boolean {
  failures.length = 0;
  return conforms(v, schema);
}

test("over JSON, what arrives is what lab.ts says", { timeout }, async (t) => {
  const lab = J.createLabProxy(await connect(t));
  for (const sample of [await lab.full(), await lab.empty()]) {
    assert.ok(fits(sample, jsonSample), failures.join("\n"));
  }
  const full = await lab.full();
  assert.equal(full.at, "2024-05-06T07:08:09.123Z");
  assert.equal(full.data, Buffer.from("hello").toString("base64"));
  assert.deepEqual(full.hash, [1, 2, 3, 4]);
  assert.deepEqual(await lab.mirror(full), full);
  // The MessagePack types do not fit JSON: the check can fail.
  assert.equal(fits(full, msgpackSample), false);
});

test("over MessagePack, what arrives is what msgpack/lab.ts says", { timeout }, async (t) => {
  const lab = M.createLabProxy(await connect(t, new MessagePackHubProtocol()));
  for (const sample of [await lab.full(), await lab.empty()]) {
    assert.ok(fits(sample, msgpackSample), failures.join("\n"));
  }
  const full = await lab.full();
  assert.deepEqual(full.At, new Date("2024-05-06T07:08:09.123Z"));
  assert.deepEqual(full.Data, new Uint8Array(Buffer.from("hello")));
  assert.deepEqual(full.Hash, new Uint8Array([1, 2, 3, 4]));
  assert.equal(full.Hidden, "hidden");
  // A value shaped by the types goes back as it came (MessagePack reads
  // integer map keys only as integers, which a JavaScript object does not
  // have: byID is left null).
  const sent: M.Sample = { ...full, ByID: null };
  assert.deepEqual(await lab.mirror(sent), sent);
  // The JSON types do not fit MessagePack.
  assert.equal(fits(full, jsonSample), false);
});

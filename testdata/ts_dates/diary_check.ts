// Uses diary.ts as a TypeScript user would; every @ts-expect-error line must
// be an error, or tsc fails.
import type { Diary, Entry, EntryInput, Query, Reader, Stats } from "./diary.js";

export async function use(diary: Diary): Promise<unknown[]> {
  const now = new Date();
  // Sent values take a Date or a string, in parameters and in fields.
  const stats: Stats = await diary.since(now);
  await diary.since("2024-05-06T07:08:09Z");
  const added: Entry = await diary.add({ at: now, until: now, text: "hi", span: { from: now } });
  const query: Query = { after: now, days: [now, "2024-05-06T00:00:00Z"] };
  const found = await diary.find(query);
  // What arrives is a string, and it may be sent back as it is.
  const at: string = added.at;
  // @ts-expect-error: a received time is a string, not a Date
  const asDate: Date = added.at;
  // @ts-expect-error: a received time is a string, not a Date
  const last: Date = stats.last;
  const again: EntryInput = added;
  await diary.add(added);
  // @ts-expect-error: a Date is not what the hub sends to the receiver
  const wrong: Entry = { at: now, text: "", span: { from: "" } };
  // @ts-expect-error: a time is a string or a Date, not a number
  await diary.since(0);
  // A client result is sent: the receiver may answer with a Date.
  const reader: Reader = { show: (e: Entry) => void e.at.toUpperCase(), lastRead: () => now };
  return [stats, found, at, asDate, last, again, wrong, reader];
}

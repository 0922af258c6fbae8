// Uses tasks.ts as a TypeScript user would; every @ts-expect-error line must
// be an error, or tsc fails.
import { Priority, Status, type Task } from "./tasks.js";

const done: Status = Status.Done;
const zero: Status = ""; // Go's zero value may arrive
// @ts-expect-error: not one of Status's constants
const unknownStatus: Status = "no-such-status";
const high: Priority = Priority.High;
// @ts-expect-error: not one of Priority's constants
const unknownPriority: Priority = 42;
const counts: Task["counts"] = { pending: 1 };
// @ts-expect-error: not a Status
const badCounts: Task["counts"] = { nope: 1 };
const byPrio: Task["byPrio"] = { "1": "low" };
// @ts-expect-error: 42 is not a Priority
const badPrio: Task["byPrio"] = { "42": "x" };
const byID: Task["byID"] = { "7": "seven" };

export const used = [done, zero, unknownStatus, high, unknownPriority, counts, badCounts, byPrio, badPrio, byID];

// The clock's console client for Node, in TypeScript, on the client hubgen
// generated (../ts/clockhub.ts) over the official @microsoft/signalr client:
// it prints the time the server's worker shows, as the Go client does.
//
//	npm run node                                      # tsc checks it, esbuild builds dist/watch.mjs
//	node dist/watch.mjs http://localhost:5000/hubs/clock
//
// esbuild bundles this file and the generated one, and leaves the npm
// packages to be imported at run time (--packages=external), so the bundle
// stays small and uses the installed @microsoft/signalr.
import { HubConnectionBuilder, LogLevel } from "@microsoft/signalr";
import { createClockHubProxy, registerClock } from "../ts/clockhub.js";

const url = process.argv[2] ?? "http://localhost:5000/hubs/clock";
const show = (now: string) => new Date(now).toLocaleTimeString("en-GB");

const connection = new HubConnectionBuilder()
  .withUrl(url)
  .withAutomaticReconnect()
  .configureLogging(LogLevel.Warning)
  .build();
registerClock(connection, { showTime: (now) => console.log(show(now)) });
await connection.start();
console.log(`connected; the server's time is ${show(await createClockHubProxy(connection).now())}`);

// Ctrl-C (or SIGTERM) closes the connection cleanly, then exits.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void connection.stop().then(() => process.exit(0)));
}

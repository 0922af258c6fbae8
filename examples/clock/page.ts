// The clock page's script: the client hubgen generated from the contract
// (ts/clockhub.ts, by the go:generate line in clock.go) over the official
// @microsoft/signalr client. npm run build type-checks it and bundles it, with
// the client, into dist/clock.js, which the server serves to index.html.
import { HubConnectionBuilder } from "@microsoft/signalr";
import { createClockHubProxy, registerClock } from "./ts/clockhub";

function element(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no #${id}`);
  return el;
}

const time = element("time");
const state = element("state");

// now is an ISO 8601 string: what encoding/json makes of a time.Time.
const show = (now: string): void => {
  time.textContent = new Date(now).toLocaleTimeString();
};

// withStatefulReconnect: a dropped WebSocket comes back at once, as the same
// connection, with nothing lost (the server allows it).
const connection = new HubConnectionBuilder()
  .withUrl("/hubs/clock")
  .withStatefulReconnect()
  .withAutomaticReconnect()
  .build();

// The server's worker calls ShowTime on every client each second.
registerClock(connection, { showTime: show });
const clockHub = createClockHubProxy(connection);

connection.onreconnecting(() => (state.textContent = "reconnecting…"));
connection.onreconnected(() => (state.textContent = "connected"));
connection.onclose(() => (state.textContent = "disconnected"));

connection
  .start()
  .then(async () => {
    state.textContent = "connected";
    show(await clockHub.now());
  })
  .catch((err: unknown) => (state.textContent = `error: ${String(err)}`));

// The official client receives ShowTime from the example's server, and can
// call Now. Run by examples/clock/e2e_test.go with CLOCK_URL set.
import { test } from "node:test";
import assert from "node:assert/strict";
import { HubConnectionBuilder, HttpTransportType, LogLevel } from "@microsoft/signalr";

const url = process.env.CLOCK_URL;

for (const transport of ["WebSockets", "ServerSentEvents", "LongPolling"]) {
  test(`ShowTime reaches the official client over ${transport}`, { timeout: 10000 }, async () => {
    assert.ok(url, "CLOCK_URL is not set");
    const connection = new HubConnectionBuilder()
      .withUrl(url, { transport: HttpTransportType[transport] })
      .configureLogging(LogLevel.Warning)
      .build();
    const times = [];
    const twice = new Promise((resolve) => {
      connection.on("ShowTime", (now) => {
        times.push(new Date(now));
        if (times.length === 2) resolve();
      });
    });
    await connection.start();
    try {
      const now = new Date(await connection.invoke("Now"));
      assert.ok(Math.abs(now - Date.now()) < 60000, `Now() = ${now}`);
      await twice;
      assert.ok(times[1] > times[0], `times do not advance: ${times}`);
    } finally {
      await connection.stop();
    }
  });
}

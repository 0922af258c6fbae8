// The clock page in headless Chromium: it connects through the generated
// TypeScript client (bundled in dist/clock.js) and shows the time the server's
// worker sends, which changes. Run by examples/clock/e2e_test.go (TestPage)
// with CLOCK_PAGE set to the server's base URL; SCREENSHOT names a PNG file to
// write of the page.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const page = process.env.CLOCK_PAGE;
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";

test("the page shows the server's time, live", { timeout: 60000 }, async (t) => {
  assert.ok(page, "CLOCK_PAGE is not set");
  const profile = await mkdtemp(join(tmpdir(), "clock-chromium-"));
  // A persistent context is how Playwright takes a --user-data-dir: a fresh
  // one, removed after the test once the browser is closed (Chromium writes
  // into it until then), with retries for files it lets go of late.
  let browser;
  t.after(async () => {
    await browser?.close();
    await rm(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  });
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 800, height: 450 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const tab = browser.pages()[0] ?? (await browser.newPage());
  const errors = [];
  tab.on("pageerror", (err) => errors.push(err.message));
  tab.on("console", (msg) => msg.type() === "error" && errors.push(msg.text()));

  await tab.goto(page);
  await tab.waitForFunction(() => document.getElementById("state")?.textContent === "connected");
  const time = tab.locator("#time");
  await tab.waitForFunction(() => /\d/.test(document.getElementById("time")?.textContent ?? ""));
  const first = await time.textContent();
  // The worker shows the time every interval (100ms in the test): the
  // seconds change within a second or so.
  await tab.waitForFunction((before) => document.getElementById("time")?.textContent !== before, first, { timeout: 5000 });
  const second = await time.textContent();
  assert.notEqual(second, first);
  assert.match(second ?? "", /\d{1,2}:\d{2}:\d{2}/);
  if (process.env.SCREENSHOT) {
    await tab.screenshot({ path: process.env.SCREENSHOT });
  }
  assert.deepEqual(errors, []);
});

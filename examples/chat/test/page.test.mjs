// The chat page in headless Chromium: alice and bob, each in a tab of their
// own, sign in, meet in the room general and use the page's features through
// the generated TypeScript client (bundled in dist/chat.js). Run by
// examples/chat/e2e_test.go (TestPage) with CHAT_PAGE set to the server's base
// URL; SCREENSHOT names a PNG file to write of alice's tab.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const page = process.env.CHAT_PAGE;
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";

test("two users chat through the page", { timeout: 90000 }, async (t) => {
  assert.ok(page, "CHAT_PAGE is not set");
  const profile = await mkdtemp(join(tmpdir(), "chat-chromium-"));
  // A persistent context is how Playwright takes a --user-data-dir: a fresh
  // one, removed after the test once the browser is closed.
  let browser;
  t.after(async () => {
    await browser?.close();
    await rm(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  });
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 900, height: 600 },
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
  const errors = [];

  // open signs a user in, in a tab of its own, and waits until the page has
  // joined the room general.
  const open = async (user, tab) => {
    tab.on("pageerror", (err) => errors.push(`${user}: ${err.message}`));
    tab.on("console", (msg) => msg.type() === "error" && errors.push(`${user}: ${msg.text()}`));
    await tab.goto(page);
    await tab.fill("#user", user);
    await tab.click("#signin button");
    await tab.locator("#state", { hasText: `connected as ${user}` }).waitFor();
    await line(tab, "joined general");
    return tab;
  };
  // line waits for a line in a tab's messages that is exactly text.
  const line = (tab, text) => tab.locator("#messages li").filter({ hasText: new RegExp(`^${escape(text)}$`) }).first().waitFor();
  const say = async (tab, text) => {
    await tab.fill("#text", text);
    await tab.press("#text", "Enter");
  };

  const alice = await open("alice", browser.pages()[0] ?? (await browser.newPage()));
  await say(alice, "first!");
  await line(alice, "[general] alice: first!");

  // Bob joins after: the room's history, a stream, shows him what was said.
  const bob = await open("bob", await browser.newPage());
  await line(bob, "[general] alice: first!");
  await line(alice, "* bob joined general");

  // A message in the room.
  await say(bob, "hi alice");
  await line(alice, "[general] bob: hi alice");

  // A client result: bob's /who asks each member's page for its status.
  await alice.fill("#status", "busy");
  await say(bob, "/who");
  await line(bob, "general: alice (busy), bob (here)");

  // An upload: each line of a file alice picks.
  await alice.setInputFiles("#file", { name: "minutes.txt", mimeType: "text/plain", buffer: Buffer.from("one\n\ntwo\n") });
  await line(alice, "posted 2 messages from minutes.txt");
  await line(bob, "[general] alice: one");
  await line(bob, "[general] alice: two");

  // A direct message.
  await say(bob, "/msg alice psst");
  await line(alice, "bob → alice: psst");

  // Bob's token does not let him join staff.
  await say(bob, "/join staff");
  await bob.locator("#messages li.error", { hasText: 'bob may not join "staff"' }).waitFor();

  if (process.env.SCREENSHOT) {
    await alice.screenshot({ path: process.env.SCREENSHOT });
  }
  assert.deepEqual(errors, []);
});

// escape quotes text for a RegExp.
function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

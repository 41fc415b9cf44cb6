/**
 * @module test/browser/settings-hash-change
 * A second account's settings link opened in the same tab (only the fragment differs: a same-document
 * navigation) starts the page again for that account: its token leaves the address bar, and keys saved
 * there are that account's (real Chromium). Before, the first account's page stayed mounted.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser } from "playwright-core";
import { launchChromium, openWatchedPage, type WatchedPage } from "./support/launch-chromium.ts";
import {
  enrollmentOf,
  type SettingsGateway,
  startSettingsGateway,
  USER_KEYS,
} from "./support/settings-gateway.ts";
import { enrollmentState, keyField, liveStatus } from "./support/settings-page.ts";

let settings: SettingsGateway;
let browser: Browser;
let watched: WatchedPage;
before(async () => {
  settings = await startSettingsGateway();
  browser = await launchChromium();
  watched = await openWatchedPage(browser);
});
after(async () => {
  await browser?.close();
  await settings?.close();
});

test("a second account's #token= link in the same tab: the page follows it and clears the token", {
  timeout: 60_000,
}, async () => {
  const a = await settings.user();
  const b = await settings.user();
  const { page } = watched;
  await page.goto(`${settings.origin.url}/settings/#token=${a.token}`);
  await enrollmentState(page).and(page.locator("[data-state=none]")).waitFor();
  // The user opens B's settings link in the same tab: only the fragment differs.
  await page.goto(`${settings.origin.url}/settings/#token=${b.token}`);
  // The page starts again for B: the token leaves the address bar, then B's page loads.
  await page.waitForFunction('location.hash === "" && document.querySelector("byok-settings") !== null');
  await enrollmentState(page).and(page.locator("[data-state=none]")).waitFor();
  const hash = await page.evaluate("location.hash");
  // The user, believing they are on B's page, saves a key.
  await keyField(page, "openai").fill(USER_KEYS.openai);
  await page.getByRole("button", { name: "Save keys" }).click();
  await liveStatus(page).getByText("Keys saved").waitFor();
  const enrolledA = await enrollmentOf(settings, a.token);
  const enrolledB = await enrollmentOf(settings, b.token);
  assert.deepEqual(
    { hash, aProviders: enrolledA.providers, bProviders: enrolledB.providers },
    { hash: "", aProviders: [], bProviders: ["openai"] },
  );
});

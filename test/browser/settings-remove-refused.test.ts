/**
 * @module test/browser/settings-remove-refused
 * "Remove keys" in real Chromium when the gateway refuses the deletion: the keys still leave the device
 * (fields and key store), and the page says the gateway kept the enrollment.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import { dumpBrowserStorage, readableForms } from "./support/dump-browser-storage.ts";
import { launchChromium, openWatchedPage, type WatchedPage } from "./support/launch-chromium.ts";
import {
  enrollmentOf,
  type SettingsGateway,
  startSettingsGateway,
  USER_KEYS,
} from "./support/settings-gateway.ts";
import { byokEvents, enrollmentState, keyField, liveStatus, WATCH_EVENTS } from "./support/settings-page.ts";

describe("removing keys while the gateway refuses", () => {
  let settings: SettingsGateway;
  let browser: Browser;
  let watched: WatchedPage;
  let user: { id: string; token: string };

  before(async () => {
    settings = await startSettingsGateway();
    browser = await launchChromium();
    watched = await openWatchedPage(browser);
    await watched.page.addInitScript({ content: WATCH_EVENTS });
    user = await settings.user();
  });
  after(async () => {
    await browser?.close();
    await settings?.close();
  });

  test("the keys leave the device anyway, and the refusal is reported on its own", async () => {
    const { page } = watched;
    await page.goto(`${settings.origin.url}/settings/#token=${user.token}`);
    await enrollmentState(page).and(page.locator("[data-state=none]")).waitFor();
    await keyField(page, "openai").fill(USER_KEYS.openai);
    await page.getByRole("button", { name: "Save keys" }).click();
    await liveStatus(page).getByText("Keys saved").waitFor();
    await enrollmentState(page).and(page.locator("[data-state=active]")).waitFor();
    assert.ok(
      JSON.stringify(await dumpBrowserStorage(page)).includes('"keys"'),
      "the keys are on the device",
    );

    // The gateway (here: what answers for it) refuses the deletion.
    await page.route("**/v1/byok/enrollment", (route) =>
      route.request().method() === "DELETE"
        ? route.fulfill({
            status: 503,
            contentType: "application/json",
            body: JSON.stringify({ error: { type: "store_unavailable", message: "The database is away" } }),
          })
        : route.continue(),
    );
    await page.getByRole("button", { name: "Remove keys" }).click();
    await liveStatus(page)
      .getByText(
        "Keys removed from this device, but the gateway could not delete the enrollment: The database is away",
      )
      .waitFor();
    assert.equal(await liveStatus(page).getAttribute("data-kind"), "error");
    assert.equal(await keyField(page, "openai").inputValue(), "");
    const text = JSON.stringify(await dumpBrowserStorage(page));
    assert.ok(!text.includes('"keys"'), "the sealed keys record is gone");
    for (const form of readableForms(USER_KEYS.openai)) assert.ok(!text.includes(form));
    assert.equal(
      await page.evaluate(
        `document.querySelector("byok-settings").keyStore.load().then((keys) => Object.keys(keys).length)`,
      ),
      0,
    );

    const events = await byokEvents(page);
    assert.equal(events.filter((event) => event.type === "byok-removed").length, 0);
    const failure = events.find((event) => event.type === "byok-error" && event.detail.action === "remove");
    assert.deepEqual(failure?.detail, {
      action: "remove",
      status: 503,
      type: "store_unavailable",
      message: "The database is away",
    });
    // The enrollment is still there, and the page shows it.
    assert.equal((await enrollmentOf(settings, user.token)).active, true);
    await enrollmentState(page).and(page.locator("[data-state=active]")).waitFor();
    assert.ok(await page.getByRole("button", { name: "Remove keys" }).isEnabled());
    await watched.screenshot("remove-refused");
  });

  test("signed out (no client), Remove keys still clears the device and says the enrollment stays", async () => {
    const { page } = watched;
    await page.unroute("**/v1/byok/enrollment");
    await page.goto(`${settings.origin.url}/settings/#token=${user.token}`);
    await keyField(page, "openai").fill(USER_KEYS.openai);
    await page.getByRole("button", { name: "Save keys" }).click();
    await liveStatus(page).getByText("Keys saved").waitFor();
    // The app signs its user out (no client, no token): nothing connects, and with no account known the
    // fields no longer show the keys (the next token may be another user's); they stay on the device.
    await page.evaluate(`document.querySelector("byok-settings").client = null`);
    await page.getByText("Not connected: no gateway token.").first().waitFor();
    assert.equal(await keyField(page, "openai").inputValue(), "");
    assert.ok(
      JSON.stringify(await dumpBrowserStorage(page)).includes('"keys"'),
      "the keys are on the device",
    );
    await page.getByRole("button", { name: "Remove keys" }).click();
    await liveStatus(page)
      .getByText(
        "Keys removed from this device, but the gateway could not delete the enrollment: Not connected",
      )
      .waitFor();
    assert.equal(await keyField(page, "openai").inputValue(), "");
    const text = JSON.stringify(await dumpBrowserStorage(page));
    assert.ok(!text.includes('"keys"'), "the sealed keys record is gone");
    for (const form of readableForms(USER_KEYS.openai)) assert.ok(!text.includes(form));
    assert.equal((await enrollmentOf(settings, user.token)).active, true, "the enrollment stays");
  });
});

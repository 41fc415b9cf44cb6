/**
 * @module test/browser/settings-token-refresh-mid-save
 * The app sets the same token again (as on a token refresh) while a save is in flight (real Chromium): the
 * save is reported saved and its keys stay shown: the guard against a token switch mid-save (the previous
 * account's keys never shown for a new one) does not fire for the same token.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser, Route } from "playwright-core";
import { launchChromium, openWatchedPage, type WatchedPage } from "./support/launch-chromium.ts";
import { type SettingsGateway, startSettingsGateway, USER_KEYS } from "./support/settings-gateway.ts";
import { enrollmentState, keyField, liveStatus, withElement } from "./support/settings-page.ts";

describe("same token set again while a save is in flight", () => {
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

  test("the save is reported as saved and its keys stay shown for the same account", {
    timeout: 60_000,
  }, async () => {
    const first = await settings.user();
    const { page } = watched;
    await page.goto(`${settings.origin.url}/settings/#token=${first.token}`);
    await enrollmentState(page).and(page.locator("[data-state=none]")).waitFor();
    await keyField(page, "openai").fill(USER_KEYS.openai);
    const held = Promise.withResolvers<Route>();
    await page.route("**/v1/byok/enrollment", async (route) => {
      if (route.request().method() === "PUT") held.resolve(route);
      else await route.continue();
    });
    await page.getByRole("button", { name: "Save keys" }).click();
    const route = await held.promise;
    // The app hands the component its token again, for the same signed-in user.
    await withElement(page, `element.token = ${JSON.stringify(first.token)};`);
    await route.continue();
    const status = liveStatus(page);
    await status.getByText(/Keys saved|saved for the account signed in before/).waitFor();
    const text = (await status.textContent()) ?? "";
    const field = await keyField(page, "openai").inputValue();
    assert.deepEqual(
      { text, field },
      { text: "Keys saved. Their fingerprints are enrolled.", field: USER_KEYS.openai },
    );
  });
});

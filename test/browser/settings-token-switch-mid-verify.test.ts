/**
 * @module test/browser/settings-token-switch-mid-verify
 * The token switched to another account while a Test (verify) is in flight (real Chromium): the first
 * account's result is not shown, announced or reported on the second account's page.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser, Route } from "playwright-core";
import { launchChromium, openWatchedPage, type WatchedPage } from "./support/launch-chromium.ts";
import { type SettingsGateway, startSettingsGateway, USER_KEYS } from "./support/settings-gateway.ts";
import { enrollmentState, keyField, result, testButton, withElement } from "./support/settings-page.ts";

describe("token switched while a verify is in flight", () => {
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

  test("the first account's verify result is not shown on the second account's page", {
    timeout: 60_000,
  }, async () => {
    const first = await settings.user();
    const second = await settings.user();
    const { page } = watched;
    await page.goto(`${settings.origin.url}/settings/#token=${first.token}`);
    await enrollmentState(page).and(page.locator("[data-state=none]")).waitFor();
    await keyField(page, "openai").fill(USER_KEYS.openai);
    const held = Promise.withResolvers<Route>();
    await page.route("**/v1/byok/verify", async (route) => held.resolve(route));
    await testButton(page, "openai").click();
    const route = await held.promise;
    const secondLoaded = page.waitForResponse(
      (response) =>
        response.url().includes("/v1/byok/routes") &&
        response.request().headers().authorization === `Bearer ${second.token}`,
    );
    await withElement(page, `element.client = null; element.token = ${JSON.stringify(second.token)};`);
    await secondLoaded;
    await route.continue();
    await page.waitForTimeout(1000);
    const field = await keyField(page, "openai").inputValue();
    const status = await result(page, "openai").getAttribute("data-status");
    const text = await result(page, "openai").textContent();
    assert.deepEqual({ field, status, text }, { field: "", status: null, text: "" });
  });
});

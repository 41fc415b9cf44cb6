/**
 * @module test/browser/settings-token-switch-mid-save
 * The app switches <byok-settings> to another user's token while a save is in flight (real Chromium): the
 * keys that save wrote are the first account's, so they are never shown, nor sent in X-BYOK-* headers,
 * under the second account's token; the page says where they went.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser, Route } from "playwright-core";
import { launchChromium, openWatchedPage, type WatchedPage } from "./support/launch-chromium.ts";
import { type SettingsGateway, startSettingsGateway, USER_KEYS } from "./support/settings-gateway.ts";
import { enrollmentState, keyField, liveStatus, withElement } from "./support/settings-page.ts";

describe("token switched while a save is in flight", () => {
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

  test("the first account's keys are never sent under the second account's token", {
    timeout: 60_000,
  }, async () => {
    const first = await settings.user();
    const second = await settings.user();
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
    // The second account's page has loaded once its route preview came back.
    const secondLoaded = page.waitForResponse(
      (response) =>
        response.url().includes("/v1/byok/routes") &&
        response.request().headers().authorization === `Bearer ${second.token}`,
    );
    await withElement(page, `element.client = null; element.token = ${JSON.stringify(second.token)};`);
    await secondLoaded;
    const before = settings.origin.requests.length;
    await route.continue();
    const status = liveStatus(page);
    await status.getByText(/Keys saved|saved for the account signed in before/).waitFor();
    await withElement(page, "await element.refresh();");
    const leaked = settings.origin.requests
      .slice(before)
      .filter((request) => request.headers.authorization === `Bearer ${second.token}`)
      .filter((request) => JSON.stringify(request).includes(USER_KEYS.openai))
      .map((request) => `${request.method} ${request.path}`);
    assert.deepEqual(leaked, [], "the first account's key was sent under the second account's token");
    assert.match((await status.textContent()) ?? "", /saved for the account signed in before/);
    assert.equal(await keyField(page, "openai").inputValue(), "", "nothing of the first account is shown");
  });
});

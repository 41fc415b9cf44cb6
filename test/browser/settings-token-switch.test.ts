/**
 * @module test/browser/settings-token-switch
 * The app changes <byok-settings>'s token while a save or a Test is in flight (real Chromium). Switched to
 * another account: what the save wrote is the first account's, never shown nor sent in X-BYOK-* headers
 * under the second account's token, and the page says where it went; a Test's answer is not shown on the
 * second account's page. The same token set again (a refresh): the save is reported saved, its keys shown.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser, Page, Route } from "playwright-core";
import { launchChromium, openWatchedPage, type WatchedPage } from "./support/launch-chromium.ts";
import { type SettingsGateway, startSettingsGateway, USER_KEYS } from "./support/settings-gateway.ts";
import {
  enrollmentState,
  keyField,
  liveStatus,
  result,
  testButton,
  withElement,
} from "./support/settings-page.ts";

const BOUND = { timeout: 60_000 };

describe("the token changed while a request of the settings page is in flight", () => {
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

  /** The page as `token`'s account sees it, an OpenAI key typed, the next request to `path` held. */
  async function typedWithHeld(
    token: string,
    path: string,
    method: string,
  ): Promise<{ held: Promise<Route> }> {
    const { page } = watched;
    await page.unrouteAll();
    await page.goto("about:blank"); // a fresh document: only the fragment would differ otherwise
    await page.goto(`${settings.origin.url}/settings/#token=${token}`);
    await enrollmentState(page).and(page.locator("[data-state=none]")).waitFor();
    await keyField(page, "openai").fill(USER_KEYS.openai);
    const held = Promise.withResolvers<Route>();
    await page.route(`**${path}`, async (route) => {
      if (route.request().method() === method) held.resolve(route);
      else await route.continue();
    });
    return { held: held.promise };
  }

  /** Switches the element to `token`'s account; resolves once that account's page has loaded. */
  async function switchTo(page: Page, token: string): Promise<void> {
    const loaded = page.waitForResponse(
      (response) =>
        response.url().includes("/v1/byok/routes") &&
        response.request().headers().authorization === `Bearer ${token}`,
    );
    await withElement(page, `element.client = null; element.token = ${JSON.stringify(token)};`);
    await loaded;
  }

  test(
    "a save: the first account's keys are never sent under the second account's token",
    BOUND,
    async () => {
      const [first, second] = [await settings.user(), await settings.user()];
      const { page } = watched;
      const { held } = await typedWithHeld(first.token, "/v1/byok/enrollment", "PUT");
      await page.getByRole("button", { name: "Save keys" }).click();
      const route = await held;
      await switchTo(page, second.token);
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
    },
  );

  test("a Test: the first account's result is not shown on the second account's page", BOUND, async () => {
    const [first, second] = [await settings.user(), await settings.user()];
    const { page } = watched;
    const { held } = await typedWithHeld(first.token, "/v1/byok/verify", "POST");
    await testButton(page, "openai").click();
    const route = await held;
    await switchTo(page, second.token);
    const answered = page.waitForResponse((response) => response.url().includes("/v1/byok/verify"));
    await route.continue();
    await answered;
    // The Test is over once its button is enabled again (its `finally`).
    await page.locator('button[data-provider="openai"]:enabled').waitFor();
    const field = await keyField(page, "openai").inputValue();
    const status = await result(page, "openai").getAttribute("data-status");
    const text = await result(page, "openai").textContent();
    assert.deepEqual({ field, status, text }, { field: "", status: null, text: "" });
  });

  test("the same token set again during a save: saved, and its keys stay shown", BOUND, async () => {
    const first = await settings.user();
    const { page } = watched;
    const { held } = await typedWithHeld(first.token, "/v1/byok/enrollment", "PUT");
    await page.getByRole("button", { name: "Save keys" }).click();
    const route = await held;
    await withElement(page, `element.token = ${JSON.stringify(first.token)};`);
    await route.continue();
    const status = liveStatus(page);
    await status.getByText(/Keys saved|saved for the account signed in before/).waitFor();
    assert.equal((await status.textContent()) ?? "", "Keys saved. Their fingerprints are enrolled.");
    assert.equal(await keyField(page, "openai").inputValue(), USER_KEYS.openai);
  });
});

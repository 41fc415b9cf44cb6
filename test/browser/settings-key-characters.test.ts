/**
 * @module test/browser/settings-key-characters
 * A key the gateway could never accept in its X-BYOK-* header (non-ASCII, a space inside, over 4096
 * characters), typed or pasted in real Chromium: a clear error at the field, and nothing enrolled, stored,
 * verified or sent.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import { dumpBrowserStorage } from "./support/dump-browser-storage.ts";
import { launchChromium, openWatchedPage, type WatchedPage } from "./support/launch-chromium.ts";
import {
  enrollmentOf,
  type SettingsGateway,
  startSettingsGateway,
  USER_KEYS,
} from "./support/settings-gateway.ts";
import {
  byokEvents,
  enrollmentState,
  keyField,
  liveStatus,
  result,
  testButton,
  WATCH_EVENTS,
} from "./support/settings-page.ts";

const NOT_ASCII = /can only hold ASCII letters, digits and punctuation, without spaces/;

describe("keys with characters no key holds", () => {
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
    await watched.page.goto(`${settings.origin.url}/settings/#token=${user.token}`);
    await enrollmentState(watched.page).and(watched.page.locator("[data-state=none]")).waitFor();
  });
  after(async () => {
    await browser?.close();
    await settings?.close();
  });

  const sentTo = (method: string, path: string) =>
    settings.origin.requests.filter((request) => request.method === method && request.path === path);

  test("leaving a field with a non-ASCII key marks it, with the reason beside it", async () => {
    const { page } = watched;
    await keyField(page, "openai").fill("sk-tëst-latin1-0001");
    await keyField(page, "openai").press("Tab");
    assert.match((await result(page, "openai").textContent()) ?? "", /^The OpenAI key can only hold ASCII/);
    assert.equal(await keyField(page, "openai").getAttribute("aria-invalid"), "true");
    await watched.screenshot("key-not-ascii");
  });

  test("Save refuses it at once: nothing enrolled, nothing stored, the field focused", async () => {
    const { page } = watched;
    await page.getByRole("button", { name: "Save keys" }).click();
    await liveStatus(page).getByText(NOT_ASCII).waitFor();
    assert.equal(await liveStatus(page).getAttribute("data-kind"), "error");
    assert.equal(
      await page.evaluate(`document.querySelector("byok-settings").shadowRoot.activeElement?.id`),
      "key-openai",
    );
    assert.deepEqual(sentTo("PUT", "/v1/byok/enrollment"), []);
    assert.equal((await enrollmentOf(settings, user.token)).active, false);
    assert.ok(!JSON.stringify(await dumpBrowserStorage(page)).includes('"keys"'), "nothing was stored");
    const failure = (await byokEvents(page)).find((event) => event.type === "byok-error");
    assert.equal(failure?.detail.action, "save");
    assert.equal(failure?.detail.type, "invalid_key");
    assert.match(String(failure?.detail.message), NOT_ASCII);
  });

  test("Test refuses a key outside Latin-1 (which fetch cannot even send) with the same clear reason", async () => {
    const { page } = watched;
    await page.getByLabel("Base URL").fill(settings.custom.baseUrl);
    await keyField(page, "custom").fill("sk-ключ-cyrillic-0002");
    await testButton(page, "custom").click();
    await liveStatus(page)
      .getByText(/^The Custom endpoint key can only hold ASCII/)
      .waitFor();
    assert.match((await result(page, "custom").textContent()) ?? "", NOT_ASCII);
    assert.deepEqual(sentTo("POST", "/v1/byok/verify"), []);
    assert.deepEqual(settings.custom.requests, []);
  });

  test("a space inside a key and an over-long key are refused too", async () => {
    const { page } = watched;
    await keyField(page, "custom").fill("");
    await keyField(page, "openai").fill("sk-inner space-0003");
    await page.getByRole("button", { name: "Save keys" }).click();
    await liveStatus(page)
      .getByText(/^The OpenAI key can only hold ASCII/)
      .waitFor();
    await keyField(page, "openai").fill(`sk-${"a".repeat(4096)}`);
    await page.getByRole("button", { name: "Save keys" }).click();
    await liveStatus(page).getByText("The OpenAI key is longer than 4,096 characters").waitFor();
    assert.deepEqual(sentTo("PUT", "/v1/byok/enrollment"), []);
  });

  test("once corrected, the mark goes and the keys save", async () => {
    const { page } = watched;
    await keyField(page, "openai").fill(USER_KEYS.openai);
    await keyField(page, "openai").press("Tab");
    assert.equal(await keyField(page, "openai").getAttribute("aria-invalid"), null);
    assert.equal(await result(page, "openai").textContent(), "");
    await page.getByRole("button", { name: "Save keys" }).click();
    await liveStatus(page).getByText("Keys saved").waitFor();
    assert.equal(sentTo("PUT", "/v1/byok/enrollment").length, 1);
    assert.deepEqual(watched.errors, []);
  });
});

/**
 * @module test/browser/settings-other-account
 * A settings link carrying another account's token, opened in real Chromium where a user's keys are saved:
 * the saved keys are neither shown, nor sent in X-BYOK-* headers, nor enrolled, nor verified under that
 * account; the page says why, and the owner's own link still finds them.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { type FakeProvider, startFakeOpenAiProvider } from "../peers/fake-openai-provider.ts";
import { call, enroll } from "../support/gateway-client.ts";
import { ADMIN_TOKEN } from "../support/start-gateway.ts";
import { launchChromium, openWatchedPage, type WatchedPage } from "./support/launch-chromium.ts";
import {
  enrollmentOf,
  type SettingsGateway,
  startSettingsGateway,
  USER_KEYS,
} from "./support/settings-gateway.ts";
import { enrollmentState, keyField, liveStatus, testButton, withElement } from "./support/settings-page.ts";

const ATTACKER_CUSTOM_KEY = "sk-attacker-custom-5d1e9a7c3b0f8264";
const VICTIM_KEYS = [USER_KEYS.openai, USER_KEYS.custom];

async function settingsLink(settings: SettingsGateway, userId: string): Promise<string> {
  const answer = await call(settings.gateway, "POST", "/admin/settings-links", {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    body: { userId, ttlSeconds: 900 },
  });
  assert.equal(answer.status, 201, answer.text);
  return (answer.body as { url: string }).url;
}

/** Waits until the OpenAI field holds a value (the saved keys loaded). */
async function untilFilled(page: Page): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await keyField(page, "openai").inputValue()) === "") {
    if (Date.now() > deadline) throw new Error("the saved keys never loaded");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("a settings link for another account, opened where a user's keys are saved", () => {
  let settings: SettingsGateway;
  let attackerEndpoint: FakeProvider;
  let browser: Browser;
  let watched: WatchedPage;
  let victim: { id: string; token: string };
  let attacker: { id: string; token: string };
  let attackerLink: string;

  before(async () => {
    settings = await startSettingsGateway();
    attackerEndpoint = await startFakeOpenAiProvider();
    browser = await launchChromium();
    watched = await openWatchedPage(browser);
    victim = await settings.user();
    attacker = await settings.user();
    // The attacker's own account has a custom endpoint of theirs enrolled.
    const enrolled = await enroll(
      settings.gateway,
      attacker.token,
      { custom: ATTACKER_CUSTOM_KEY },
      { baseUrl: attackerEndpoint.baseUrl, model: "attacker-model" },
    );
    assert.equal(enrolled.status, 200, enrolled.text);
    attackerLink = await settingsLink(settings, attacker.id);
  });
  after(async () => {
    await browser?.close();
    await settings?.close();
    await attackerEndpoint?.close();
  });

  /** Requests the browser sent with the attacker's token (a gateway token or their settings token). */
  const underAttacker = (attackerSettingsToken: string) =>
    settings.origin.requests.filter((request) =>
      [attacker.token, attackerSettingsToken].some(
        (token) => request.headers.authorization === `Bearer ${token}`,
      ),
    );

  test("the victim saves their keys on the gateway's settings page", async () => {
    const { page } = watched;
    await page.goto(`${settings.origin.url}/settings/#token=${victim.token}`);
    await enrollmentState(page).and(page.locator("[data-state=none]")).waitFor();
    await keyField(page, "openai").fill(USER_KEYS.openai);
    await page.getByLabel("Base URL").fill(settings.custom.baseUrl);
    await keyField(page, "custom").fill(USER_KEYS.custom);
    await page.getByRole("button", { name: "Save keys" }).click();
    await liveStatus(page).getByText("Keys saved").waitFor();
    await enrollmentState(page).and(page.locator("[data-state=active]")).waitFor();
  });

  test("the attacker's link shows none of the victim's keys and sends none of them", async () => {
    const { page } = watched;
    const attackerToken = new URL(attackerLink, settings.origin.url).hash.slice("#token=".length);
    await page.goto("about:blank"); // a new document: a fragment change alone would not reload the page
    await page.goto(`${settings.origin.url}${attackerLink}`);
    // The attacker's enrollment is what the page shows …
    await enrollmentState(page).and(page.locator("[data-state=active]")).waitFor();
    await withElement(page, "await element.refresh();");
    // … and none of the victim's keys is in the fields.
    for (const provider of ["openai", "custom"] as const) {
      assert.equal(await keyField(page, provider).inputValue(), "", `the victim's ${provider} key is shown`);
    }
    assert.equal(await page.getByLabel("Base URL").inputValue(), "");
    await liveStatus(page).getByText("belong to another account").waitFor();
    // Test and Save have nothing of the victim's to send.
    await testButton(page, "custom").click();
    await page.getByRole("button", { name: "Save keys" }).click();
    await liveStatus(page).getByText("Type at least one key to save.").waitFor();

    const sent = underAttacker(attackerToken);
    assert.ok(sent.length > 0, "the page did talk to the gateway under the attacker's token");
    for (const request of sent) {
      const text = JSON.stringify(request);
      for (const key of VICTIM_KEYS) {
        assert.ok(
          !text.includes(key),
          `${request.method} ${request.path} sent a victim's key under the attacker`,
        );
      }
      assert.ok(
        !text.includes(settings.custom.baseUrl),
        `${request.method} ${request.path} sent the victim's custom base URL under the attacker`,
      );
    }
    // The attacker's enrollment is untouched and their endpoint never saw a key.
    const status = await enrollmentOf(settings, attacker.token);
    assert.deepEqual(status.providers, ["custom"]);
    assert.equal(status.custom?.baseUrl, attackerEndpoint.baseUrl);
    assert.deepEqual(attackerEndpoint.requests, []);
    await watched.screenshot("other-account-link");
  });

  test("an app switching the element to another user's token clears the fields before anything is sent", async () => {
    const { page } = watched;
    await page.goto("about:blank");
    await page.goto(`${settings.origin.url}/settings/#token=${victim.token}`);
    await untilFilled(page);
    const before = settings.origin.requests.length;
    await withElement(page, `element.client = null; element.token = ${JSON.stringify(attacker.token)};`);
    await liveStatus(page).getByText("belong to another account").waitFor();
    assert.equal(await keyField(page, "openai").inputValue(), "");
    await testButton(page, "openai").click();
    for (const request of settings.origin.requests.slice(before)) {
      const text = JSON.stringify(request);
      for (const key of VICTIM_KEYS) assert.ok(!text.includes(key), `${request.path} sent a victim's key`);
    }
  });

  test("the victim's own link still finds their keys", async () => {
    const { page } = watched;
    await page.goto("about:blank");
    await page.goto(`${settings.origin.url}${await settingsLink(settings, victim.id)}`);
    await untilFilled(page);
    assert.equal(await keyField(page, "openai").inputValue(), USER_KEYS.openai);
    assert.equal(await keyField(page, "custom").inputValue(), USER_KEYS.custom);
    assert.equal(await page.getByLabel("Base URL").inputValue(), settings.custom.baseUrl);
    assert.deepEqual(watched.errors, []);
    assert.deepEqual(await watched.violations(), []);
  });
});

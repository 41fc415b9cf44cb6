/**
 * @module test/browser/settings-enrollment
 * The settings page in real Chromium against a real gateway: keys typed, checked live, enrolled as
 * fingerprints only, used for a BYOK-served call, kept encrypted across a reload, then removed.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
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
import {
  byokEvents,
  enrollmentState,
  keyField,
  liveStatus,
  verifyKey,
  WATCH_EVENTS,
  withElement,
} from "./support/settings-page.ts";

const sha256 = (key: string) => createHash("sha256").update(key.trim(), "utf8").digest("hex");
const RAW_KEYS = Object.values(USER_KEYS);

describe("the settings page, from typing keys to removing them", () => {
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

  test("opens from a #token= link, clears the token from the address bar and shows no enrollment", async () => {
    const { page } = watched;
    await page.goto(`${settings.origin.url}/settings/#token=${user.token}`);
    await enrollmentState(page).and(page.locator("[data-state=none]")).waitFor();
    assert.equal(new URL(page.url()).hash, "");
    assert.ok(!page.url().includes(user.token));
    await watched.screenshot("01-empty");
  });

  test("verify shows valid, invalid and unknown from providers answering 200, 401 and 503", async () => {
    const { page } = watched;
    await keyField(page, "openai").fill(USER_KEYS.openai);
    await keyField(page, "anthropic").fill(USER_KEYS.anthropic);
    await keyField(page, "gemini").fill(USER_KEYS.gemini);
    const openai = await verifyKey(page, "openai");
    assert.equal(openai.status, "valid");
    assert.match(openai.text, /^Valid \(\d+ ms\)$/);
    const anthropic = await verifyKey(page, "anthropic");
    assert.equal(anthropic.status, "invalid");
    assert.match(anthropic.text, /invalid x-api-key/);
    const gemini = await verifyKey(page, "gemini");
    assert.equal(gemini.status, "unknown");
    assert.match(gemini.text, /^Could not check/);
    assert.match((await liveStatus(page).textContent()) ?? "", /Google Gemini: Could not check/);
    const verified = (await byokEvents(page)).filter((event) => event.type === "byok-verified");
    assert.deepEqual(
      verified.map((event) => [event.detail.provider, (event.detail.result as { status: string }).status]),
      [
        ["openai", "valid"],
        ["anthropic", "invalid"],
        ["gemini", "unknown"],
      ],
    );
    await watched.screenshot("02-verified");
  });

  test("a refused custom base URL shows the egress guard's reason; an allowed one verifies", async () => {
    const { page } = watched;
    await page.getByLabel("Base URL").fill("https://localhost/v1");
    await page.getByLabel("Model").fill("my-model");
    await keyField(page, "custom").fill(USER_KEYS.custom);
    const refused = await verifyKey(page, "custom");
    assert.equal(refused.status, "invalid");
    assert.match(refused.text, /address check: this host name is not allowed \(host_denied\)/);
    await watched.screenshot("03-custom-refused");
    await page.getByLabel("Base URL").fill(settings.custom.baseUrl);
    const allowed = await verifyKey(page, "custom");
    assert.equal(allowed.status, "valid");
  });

  test("saving enrolls fingerprints only: the gateway never receives a raw key in a body or URL", async () => {
    const { page } = watched;
    await page.getByRole("button", { name: "Save keys" }).click();
    await liveStatus(page).getByText("Keys saved").waitFor();
    await enrollmentState(page).and(page.locator("[data-state=active]")).waitFor();
    await watched.screenshot("04-saved");

    const enrollments = settings.origin.requests.filter(
      (request) => request.method === "PUT" && request.path === "/v1/byok/enrollment",
    );
    assert.equal(enrollments.length, 1);
    assert.deepEqual(JSON.parse(enrollments[0]!.body), {
      fingerprints: {
        openai: sha256(USER_KEYS.openai),
        anthropic: sha256(USER_KEYS.anthropic),
        gemini: sha256(USER_KEYS.gemini),
        custom: sha256(USER_KEYS.custom),
      },
      custom: { baseUrl: settings.custom.baseUrl, model: "my-model" },
    });
    for (const request of settings.origin.requests) {
      for (const key of RAW_KEYS) {
        assert.ok(
          !request.body.includes(key),
          `${request.method} ${request.path} carried a raw key in its body`,
        );
        assert.ok(!request.path.includes(key), `${request.path} carried a raw key in its URL`);
        for (const [name, value] of Object.entries(request.headers)) {
          if (value.includes(key)) assert.match(name, /^x-byok-/, `a raw key travelled in ${name}`);
        }
      }
    }
    const status = await enrollmentOf(settings, user.token);
    assert.equal(status.active, true);
    assert.deepEqual([...status.providers].sort(), ["anthropic", "custom", "gemini", "openai"]);
    assert.equal(status.custom?.baseUrl, settings.custom.baseUrl);
    const saved = (await byokEvents(page)).filter((event) => event.type === "byok-saved");
    assert.equal(saved.length, 1);
  });

  test("neither the database nor the gateway's logs hold a raw key or a client fingerprint", async () => {
    for (const file of readdirSync(settings.gateway.dataDir)) {
      const bytes = readFileSync(join(settings.gateway.dataDir, file)).toString("latin1");
      for (const key of RAW_KEYS) {
        assert.ok(!bytes.includes(key), `${file} holds a raw key`);
        assert.ok(!bytes.includes(sha256(key)), `${file} holds a client fingerprint`);
      }
    }
    const logs = settings.gateway.logs.join("\n");
    for (const key of RAW_KEYS) assert.ok(!logs.includes(key), "a raw key reached the gateway's logs");
  });

  test("a request sent with the stored keys is BYOK-served", async () => {
    const { page } = watched;
    const route = await withElement<string | null>(
      page,
      `const keys = await element.keyStore.load();
       const response = await element.client.fetch("/v1/chat/completions", {
         method: "POST",
         headers: { "content-type": "application/json" },
         body: JSON.stringify({ model: "summary", messages: [{ role: "user", content: "Hello there" }] }),
       }, keys);
       await response.json();
       return response.headers.get("x-byok-route");`,
    );
    assert.equal(route, "openai/gpt-4.1-mini; source=byok");
    const served = settings.openai.requests.filter((request) => request.path === "/v1/chat/completions");
    assert.equal(served.at(-1)?.headers.authorization, `Bearer ${USER_KEYS.openai}`);
    // The same call without keys runs on the app's key: the chart shows both, and the limit counts it.
    const operatorRoute = await withElement<string | null>(
      page,
      `const response = await element.client.fetch("/v1/chat/completions", {
         method: "POST",
         headers: { "content-type": "application/json" },
         body: JSON.stringify({ model: "summary", messages: [{ role: "user", content: "Hello" }] }),
       });
       await response.json();
       return response.headers.get("x-byok-route");`,
    );
    assert.equal(operatorRoute, "openai/gpt-4.1-mini; source=operator");
    await withElement(page, "await element.refresh();");
    await page
      .locator("byok-settings svg[part=chart] title")
      .getByText(/Requests: Your keys 1, The app's keys 1/)
      .waitFor({ state: "attached" });
    await watched.screenshot("05-usage");
  });

  test("after a reload the keys come back from the device, and nothing readable is in storage", async () => {
    const { page } = watched;
    await page.reload();
    const tokenInput = page.getByLabel("Your gateway token or settings link token");
    await tokenInput.fill(user.token);
    await tokenInput.press("Enter");
    await enrollmentState(page).and(page.locator("[data-state=active]")).waitFor();
    await page.waitForFunction(
      `document.querySelector("byok-settings")?.shadowRoot?.querySelector("#key-openai")?.value !== ""`,
    );
    assert.equal(await keyField(page, "openai").inputValue(), USER_KEYS.openai);
    assert.equal(await keyField(page, "custom").inputValue(), USER_KEYS.custom);
    assert.equal(await page.getByLabel("Base URL").inputValue(), settings.custom.baseUrl);
    await watched.screenshot("06-reloaded");

    const dump = await dumpBrowserStorage(page);
    assert.ok(dump.indexedDb.length > 0, "the keys are kept in IndexedDB");
    const text = JSON.stringify(dump);
    for (const key of RAW_KEYS) {
      for (const form of readableForms(key)) assert.ok(!text.includes(form), "a key is readable in storage");
    }
    const cryptoKeys = dump.indexedDb.filter((record) =>
      JSON.stringify(record.value).includes('"cryptoKey"'),
    );
    assert.ok(cryptoKeys.length >= 1, "an AES-GCM CryptoKey is kept");
    for (const record of cryptoKeys) assert.ok(!JSON.stringify(record.value).includes('"extractable":true'));
  });

  test("removing the keys deletes the enrollment and the keys on the device", async () => {
    const { page } = watched;
    await page.getByRole("button", { name: "Remove keys" }).click();
    await liveStatus(page).getByText("Keys removed").waitFor();
    await enrollmentState(page).and(page.locator("[data-state=none]")).waitFor();
    assert.equal(await keyField(page, "openai").inputValue(), "");
    const status = await enrollmentOf(settings, user.token);
    assert.equal(status.active, false);
    assert.deepEqual(status.providers, []);
    const text = JSON.stringify(await dumpBrowserStorage(page));
    assert.ok(!text.includes('"keys"'), "the sealed keys record is gone");
    assert.equal((await byokEvents(page)).filter((event) => event.type === "byok-removed").length, 1);
    await watched.screenshot("07-removed");
  });

  test("no Content-Security-Policy violation happened, and the watcher does see one", async () => {
    const { page } = watched;
    assert.deepEqual(await watched.violations(), []);
    assert.deepEqual(watched.errors, []);
    await page.evaluate(
      `document.head.append(Object.assign(document.createElement("style"), { textContent: "p{}" }))`,
    );
    await page.waitForFunction("window.__cspViolations.length > 0");
    assert.match((await watched.violations())[0] ?? "", /^style-src-elem/);
  });
});

/**
 * @module test/browser/settings-accessibility
 * The settings page for keyboard and assistive-technology users: axe-core finds nothing serious, the whole
 * flow works with Tab and Enter alone in a sensible order, a settings link signs in, strings are replaceable.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { call } from "../support/gateway-client.ts";
import { ADMIN_TOKEN } from "../support/start-gateway.ts";
import { launchChromium, openWatchedPage, type WatchedPage } from "./support/launch-chromium.ts";
import { runAxe } from "./support/run-axe.ts";
import {
  enrollmentOf,
  type SettingsGateway,
  startSettingsGateway,
  USER_KEYS,
} from "./support/settings-gateway.ts";
import { enrollmentState, keyField, liveStatus, result, withElement } from "./support/settings-page.ts";

/** What has focus: an id, else the accessible name or text, inside the component's shadow root or out. */
const FOCUSED = `(() => {
  const inner = document.querySelector("byok-settings")?.shadowRoot?.activeElement;
  const active = inner ?? document.activeElement;
  return active?.id || active?.getAttribute("aria-label") || active?.textContent?.trim() || active?.tagName;
})()`;
const focused = (page: Page) => page.evaluate<string>(FOCUSED);

async function assertAccessible(page: Page, state: string): Promise<void> {
  const { blocking, other } = await runAxe(page);
  assert.deepEqual(blocking, [], `axe found serious or critical violations (${state})`);
  for (const violation of other)
    console.log(`# axe (${state}, ${violation.impact}): ${violation.id} ${violation.help}`);
}

describe("the settings page with a keyboard and a screen reader", () => {
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

  test("keyboard only: paste the token, type a key, test it and save, in reading order", async () => {
    const { page } = watched;
    const user = await settings.user();
    await page.goto(`${settings.origin.url}/settings/`);
    await page.getByLabel("Your gateway token or settings link token").waitFor();
    assert.equal(await focused(page), "token-input", "the token field has focus on arrival");
    await assertAccessible(page, "token form");
    await watched.screenshot("10-token-form");

    await page.keyboard.type(user.token);
    await page.keyboard.press("Enter");
    await enrollmentState(page).and(page.locator("[data-state=none]")).waitFor();
    const order: string[] = [];
    for (let step = 0; step < 16; step += 1) {
      await page.keyboard.press("Tab");
      order.push(await focused(page));
    }
    assert.deepEqual(order, [
      "key-openai",
      "Test the OpenAI key",
      "key-anthropic",
      "Test the Anthropic key",
      "key-gemini",
      "Test the Google Gemini key",
      "key-openrouter",
      "Test the OpenRouter key",
      "key-deepgram",
      "Test the Deepgram key",
      "custom-base-url",
      "custom-model",
      "key-custom",
      "Test the Custom endpoint key",
      "Save keys",
      "Remove keys",
    ]);
    await assertAccessible(page, "empty settings");

    // Back to the OpenAI field with Shift+Tab, then type, test and save with the keyboard alone.
    for (let step = 0; step < 15; step += 1) await page.keyboard.press("Shift+Tab");
    assert.equal(await focused(page), "key-openai");
    await page.keyboard.type(USER_KEYS.openai);
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await page.locator("#result-openai[data-status=valid]").waitFor();
    await liveStatus(page).getByText("OpenAI: Valid").waitFor();
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Enter"); // Enter in a key field submits the form: save
    await liveStatus(page).getByText("Keys saved").waitFor();
    await enrollmentState(page).and(page.locator("[data-state=active]")).waitFor();
    assert.deepEqual((await enrollmentOf(settings, user.token)).providers, ["openai"]);
    await page.keyboard.press("Tab");
    await watched.screenshot("11-keyboard-saved");
    await assertAccessible(page, "saved, with a result");
    assert.deepEqual(await watched.violations(), []);
    assert.deepEqual(watched.errors, []);
  });

  test("a settings link minted by the app's backend signs in without a gateway token", async () => {
    // Another user on another device: a fresh context, so no keys saved by the test before are on it.
    watched = await openWatchedPage(browser);
    const { page } = watched;
    const user = await settings.user();
    const link = await call(settings.gateway, "POST", "/admin/settings-links", {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: { userId: user.id, ttlSeconds: 300 },
    });
    assert.equal(link.status, 201);
    const { url, token } = link.body as { url: string; token: string };
    await page.goto(`${settings.origin.url}${url}`);
    await enrollmentState(page).and(page.locator("[data-state=none]")).waitFor();
    assert.ok(!page.url().includes(token), "the settings token is cleared from the address bar");
    await keyField(page, "gemini").fill(USER_KEYS.gemini);
    await page.getByRole("button", { name: "Save keys" }).click();
    await enrollmentState(page).and(page.locator("[data-state=active]")).waitFor();
    assert.deepEqual((await enrollmentOf(settings, user.token)).providers, ["gemini"]);
    await page.locator("byok-settings tr[data-feature=agent] td[data-source=byok]").first().waitFor();
    await watched.screenshot("12-settings-link");
    const sent = settings.origin.requests.filter(
      (request) => request.headers.authorization === `Bearer ${token}`,
    );
    assert.ok(sent.length > 0 && sent.every((request) => !request.path.includes(token)));
    assert.deepEqual(watched.errors, []);
  });

  test("every string is replaceable, by property or by a JSON attribute", async () => {
    const { page } = watched;
    await withElement(
      page,
      `element.strings = { saveButton: "Schlüssel speichern", providerLabels: { openai: "OpenAI-Schlüssel" } };`,
    );
    await page.getByRole("button", { name: "Schlüssel speichern" }).waitFor();
    await page.getByRole("textbox", { name: "OpenAI-Schlüssel", exact: true }).waitFor();
    const anthropic = page.getByRole("textbox", { name: "Anthropic key", exact: true });
    assert.equal(await anthropic.count(), 1, "labels not replaced keep their default");
    await withElement(
      page,
      `const other = document.createElement("byok-settings");
       other.setAttribute("strings", JSON.stringify({ keysHeading: "Vos clés" }));
       other.id = "second";
       document.body.append(other);`,
    );
    await page.locator("#second h2").getByText("Vos clés").waitFor();
    await page.locator("#second").getByText("Not connected: no gateway token.").first().waitFor();
    assert.equal(await result(page, "openai").count(), 2);
    assert.deepEqual(await watched.violations(), []);
  });

  test("the page themes it with custom properties and ::part rules", async () => {
    const { page } = watched;
    const looks = () =>
      page.evaluate<string[]>(`(() => {
        const button = document.querySelector("byok-settings").shadowRoot.querySelector("[part~=save-button]");
        const style = getComputedStyle(button);
        return [style.backgroundColor, style.textTransform];
      })()`);
    assert.deepEqual(await looks(), ["rgb(31, 79, 191)", "none"]);
    await page.evaluate(`(() => {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync("byok-settings { --byok-color-accent: rgb(107, 33, 168); } byok-settings::part(save-button) { text-transform: uppercase; }");
      document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
    })()`);
    assert.deepEqual(await looks(), ["rgb(107, 33, 168)", "uppercase"]);
    await watched.screenshot("13-themed");
  });
});

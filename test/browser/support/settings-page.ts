/**
 * @module test/browser/support/settings-page
 * Driving /settings/ as a user would (labels and roles, through the component's open shadow root) and
 * reading back its events.
 */
import type { Locator, Page } from "playwright-core";

export type Provider = "openai" | "anthropic" | "gemini" | "openrouter" | "deepgram" | "custom";

/** Collects the component's events (they bubble and cross the shadow boundary) on window.__byokEvents. */
export const WATCH_EVENTS = `
  window.__byokEvents = [];
  for (const type of ["byok-saved", "byok-removed", "byok-verified", "byok-error"]) {
    document.addEventListener(type, (event) => window.__byokEvents.push({ type, detail: event.detail }));
  }
`;

export interface ByokEvent {
  readonly type: string;
  readonly detail: Record<string, unknown>;
}

export function byokEvents(page: Page): Promise<ByokEvent[]> {
  return page.evaluate<ByokEvent[]>("JSON.parse(JSON.stringify(window.__byokEvents ?? []))");
}

export const keyField = (page: Page, provider: Provider): Locator => page.locator(`#key-${provider}`);
export const result = (page: Page, provider: Provider): Locator => page.locator(`#result-${provider}`);
export const testButton = (page: Page, provider: Provider): Locator =>
  page.locator(`button[data-provider="${provider}"]`);
export const liveStatus = (page: Page): Locator => page.locator("byok-settings [role=status]");
export const enrollmentState = (page: Page): Locator =>
  page.locator("byok-settings dl[part=enrollment-state]");

/** Clicks a key's test button and waits for its result to settle (data-status set). */
export async function verifyKey(page: Page, provider: Provider): Promise<{ status: string; text: string }> {
  const output = result(page, provider);
  await testButton(page, provider).click();
  await page.locator(`#result-${provider}[data-status]`).waitFor();
  return {
    status: (await output.getAttribute("data-status")) ?? "",
    text: (await output.textContent()) ?? "",
  };
}

/** Runs a function of the mounted element in the page: `element` is `<byok-settings>`. */
export function withElement<T>(page: Page, body: string): Promise<T> {
  return page.evaluate<T>(
    `(async () => { const element = document.querySelector("byok-settings"); ${body} })()`,
  );
}

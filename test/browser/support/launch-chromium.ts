/**
 * @module test/browser/support/launch-chromium
 * Debian's Chromium under playwright-core, headless, with every CSP violation and page error collected.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const SCREENSHOTS = join(import.meta.dirname, "..", "..", "..", "test-results", "screenshots");

export interface WatchedPage {
  readonly page: Page;
  readonly context: BrowserContext;
  /** `securitypolicyviolation` events seen in the page (directive and blocked URI). */
  violations(): Promise<string[]>;
  /** Uncaught exceptions and console errors. */
  readonly errors: string[];
  /** Writes a full-page screenshot to test-results/screenshots/<name>.png. */
  screenshot(name: string): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install it with \`apt-get update && apt-get install -y chromium\``,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** Runs before any page script: collects `securitypolicyviolation` events (capture, so none is missed). */
const WATCH_CSP = `
  window.__cspViolations = [];
  document.addEventListener("securitypolicyviolation", (event) => {
    window.__cspViolations.push(event.effectiveDirective + " " + event.blockedURI);
  }, true);
`;

/** A new context and page (fresh storage) that records CSP violations from the first byte. */
export async function openWatchedPage(browser: Browser): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  await page.addInitScript({ content: WATCH_CSP });
  page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`);
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    page,
    context,
    errors,
    violations: () => page.evaluate<string[]>("[...(window.__cspViolations ?? [])]"),
    async screenshot(name) {
      await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
    },
  };
}

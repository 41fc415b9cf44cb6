/**
 * @module test/client/chromium-kit
 * The built kit in real Chromium, from a loopback page: the fingerprint vectors (WebCrypto and pure-JS paths), and
 * the browser key store surviving a reload while IndexedDB holds nothing readable, and scoped to an account.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { after, before, test } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";
import { buildClient } from "../../client/build.ts";
import { FINGERPRINT_VECTORS_PATH, loadFingerprintVectors } from "../support/fingerprint-vectors.ts";

const CHROMIUM = "/usr/bin/chromium";
const TIMEOUT = { timeout: 60_000 };
const SECRETS = {
  openai: "sk-chromium-openai-secret-8888888888",
  custom: "sk-chromium-custom-secret-9999999999",
  customBaseUrl: "https://models.example.test/v1",
  customModel: "llama-test",
};
const TYPES: Record<string, string> = {
  ".js": "text/javascript",
  ".json": "application/json",
  ".map": "application/json",
};

interface PageInspection {
  records: string[];
  cryptoKeys: Array<{ algorithm: string; extractable: boolean; usages: string[] }>;
  exports: string[];
  revealed: string[];
  webStorage: number;
}
type KitPage = Record<string, (...args: unknown[]) => Promise<unknown>>;

let kitDir: string;
let server: http.Server;
let origin: string;
let browser: Browser;

before(async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `Chromium is missing at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (Debian's package)`,
  );
  kitDir = mkdtempSync(join(tmpdir(), "byok-kit-"));
  await buildClient(kitDir);
  const pageScript = readFileSync(new URL("./kit-page.js", import.meta.url));
  server = http.createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://page").pathname;
    let body: Buffer | string | undefined;
    if (path === "/")
      body =
        '<!doctype html><html lang="en"><title>kit</title><body><script type="module" src="/kit-page.js"></script></body></html>';
    else if (path === "/kit-page.js") body = pageScript;
    else if (path === "/vectors.json") body = readFileSync(FINGERPRINT_VECTORS_PATH);
    else if (path.startsWith("/kit/")) {
      const file = normalize(join(kitDir, path.slice("/kit/".length)));
      if (file.startsWith(kitDir) && existsSync(file)) body = readFileSync(file);
    }
    if (body === undefined) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, {
      "content-type": path === "/" ? "text/html" : (TYPES[extname(path)] ?? "text/plain"),
    });
    response.end(body);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
});

after(async () => {
  await browser?.close();
  server?.closeAllConnections();
  server?.close();
  if (kitDir) rmSync(kitDir, { recursive: true, force: true });
});

async function openKitPage(page: Page): Promise<void> {
  await page.goto(`${origin}/`);
  await page.waitForSelector("body[data-ready=true]", { state: "attached" });
}

/** Calls `window.kitPage[name](...args)` in the page. */
function inPage<T>(page: Page, name: string, ...args: unknown[]): Promise<T> {
  return page.evaluate(
    ([method, values]) =>
      (globalThis as unknown as { kitPage: KitPage }).kitPage[method as string]!(...(values as unknown[])),
    [name, args] as const,
  ) as Promise<T>;
}

test(
  "the fingerprint vectors hold in Chromium, with WebCrypto and with the pure-JS fallback",
  TIMEOUT,
  async () => {
    const vectors = loadFingerprintVectors();
    const expected = vectors.map((vector) => vector.fingerprint);
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await openKitPage(page);
      assert.equal(await inPage(page, "hasSubtle"), true);
      assert.deepEqual(await inPage(page, "fingerprints", vectors), expected);

      // As in React Native: no crypto.subtle, so the kit's own SHA-256 runs.
      const bare = await context.newPage();
      await bare.addInitScript(() => {
        Object.defineProperty(Object.getPrototypeOf(globalThis.crypto), "subtle", { get: () => undefined });
      });
      await openKitPage(bare);
      assert.equal(await inPage(bare, "hasSubtle"), false);
      assert.deepEqual(await inPage(bare, "fingerprints", vectors), expected);
    } finally {
      await context.close();
    }
  },
);

test(
  "the browser key store keeps keys across a reload, and IndexedDB holds nothing readable",
  TIMEOUT,
  async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const name = `byok-keys-${Math.random().toString(36).slice(2)}`;
      await openKitPage(page);
      assert.deepEqual(await inPage(page, "load", name), {}, "an empty store loads as {}");
      await inPage(page, "save", name, { ...SECRETS, gemini: "   " });

      await page.reload();
      await page.waitForSelector("body[data-ready=true]", { state: "attached" });
      assert.deepEqual(
        await inPage(page, "load", name),
        SECRETS,
        "the keys survive a reload (empty ones dropped)",
      );

      const inspection = await inPage<PageInspection>(page, "inspect", [SECRETS.openai, SECRETS.custom]);
      assert.deepEqual(inspection.records, [`${name}/sealed/keys`, `${name}/sealed/wrapping-key`]);
      assert.deepEqual(inspection.cryptoKeys, [
        { algorithm: "AES-GCM", extractable: false, usages: ["decrypt", "encrypt"] },
      ]);
      assert.deepEqual(inspection.exports, ["refused"], "the wrapping key cannot be exported");
      assert.deepEqual(inspection.revealed, [], "no raw key is readable in IndexedDB");
      assert.equal(inspection.webStorage, 0, "nothing in localStorage or sessionStorage");

      await inPage(page, "clear", name);
      assert.deepEqual(await inPage(page, "load", name), {});
      assert.deepEqual((await inPage<PageInspection>(page, "inspect", [])).records, []);

      // The stores opened above keep their connections; deleting the database (another tab, a sign-out) is
      // not blocked by them, and the next call opens it afresh.
      await inPage(page, "save", name, SECRETS);
      assert.equal(await inPage(page, "deleteDatabase", name), "deleted");
      assert.deepEqual(await inPage(page, "load", name), {});
    } finally {
      await context.close();
    }
  },
);

test(
  "a store scoped to an account loads only keys saved for that account, never another's or unowned ones",
  TIMEOUT,
  async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const name = `byok-keys-${Math.random().toString(36).slice(2)}`;
      await openKitPage(page);
      assert.equal(await inPage(page, "savedFor", name), undefined, "nothing saved yet");

      await inPage(page, "saveFor", name, "alice", SECRETS);
      assert.deepEqual(await inPage(page, "loadFor", name, "alice"), SECRETS);
      assert.deepEqual(await inPage(page, "loadFor", name, "bob"), {}, "another account's keys do not load");
      assert.equal(await inPage(page, "savedFor", name), "alice");
      assert.deepEqual(await inPage(page, "load", name), SECRETS, "a store without an account loads them");
      const inspection = await inPage<PageInspection>(page, "inspect", [SECRETS.openai, "alice"]);
      assert.deepEqual(inspection.revealed, [], "neither the keys nor the account are readable in IndexedDB");

      await inPage(page, "save", name, SECRETS);
      assert.equal(await inPage(page, "savedFor", name), null);
      assert.deepEqual(await inPage(page, "loadFor", name, "alice"), {}, "keys saved without an account");

      // Keys sealed by an earlier kit (version 1) carry no account: only an unscoped store loads them.
      await inPage(page, "saveAsVersion1", name, SECRETS);
      assert.equal(await inPage(page, "savedFor", name), null);
      assert.deepEqual(await inPage(page, "loadFor", name, "alice"), {});
      assert.deepEqual(await inPage(page, "load", name), SECRETS);
    } finally {
      await context.close();
    }
  },
);

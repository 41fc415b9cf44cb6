/**
 * @module test/http/settings-page
 * GET /settings/: the client island's built files under a strict CSP and security headers, only the known
 * names (no listing, no traversal, encoded or not), and a 503 naming `npm run build:client` until they exist.
 */
import assert from "node:assert/strict";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { call, errorOf } from "../support/gateway-client.ts";
import { createTempDir, startGateway, type TestGateway } from "../support/start-gateway.ts";

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const HTML =
  '<!doctype html><link rel="stylesheet" href="settings.css"><script type="module" src="settings.js"></script>';

/** A request with the path sent byte for byte (fetch would normalize `..` away). */
function rawGet(gateway: TestGateway, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(gateway.url);
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: hostname, port, path, method: "GET" }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        body += chunk;
      });
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on("error", reject);
    request.end();
  });
}

describe("the settings page", () => {
  let root: string;
  let clientDir: string;
  let gateway: TestGateway;
  let unbuilt: TestGateway;
  before(async () => {
    root = createTempDir("byok-client-");
    clientDir = join(root, "client");
    mkdirSync(clientDir);
    writeFileSync(join(clientDir, "settings.html"), HTML);
    writeFileSync(join(clientDir, "settings.js"), "export {};\n");
    writeFileSync(join(clientDir, "settings.css"), ":root{}\n");
    writeFileSync(join(clientDir, "index.js"), "export const UNLISTED_FILE = 1;\n");
    writeFileSync(join(root, "outside.txt"), "OUTSIDE-FILE-CONTENT\n");
    gateway = await startGateway({ clientDir });
    unbuilt = await startGateway({ clientDir: join(root, "missing") });
  });
  after(async () => {
    await gateway.close();
    await unbuilt.close();
    rmSync(root, { recursive: true, force: true });
  });

  test("serves the HTML with the strict CSP, nosniff, no-referrer and no-store", async () => {
    const response = await fetch(`${gateway.url}/settings/`);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), HTML);
    assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(response.headers.get("content-security-policy"), CSP);
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    assert.equal(response.headers.get("referrer-policy"), "no-referrer");
    assert.equal(response.headers.get("cache-control"), "no-store");
    assert.equal(response.headers.get("x-frame-options"), "DENY");
  });

  test("serves the script and the style with their types and the same headers", async () => {
    for (const [name, type] of [
      ["settings.js", "text/javascript; charset=utf-8"],
      ["settings.css", "text/css; charset=utf-8"],
    ] as const) {
      const response = await fetch(`${gateway.url}/settings/${name}`);
      assert.equal(response.status, 200, name);
      assert.equal(response.headers.get("content-type"), type);
      assert.equal(response.headers.get("content-security-policy"), CSP);
      assert.equal(response.headers.get("x-content-type-options"), "nosniff");
      assert.equal(response.headers.get("referrer-policy"), "no-referrer");
    }
  });

  test("/settings redirects to /settings/ so the page's relative URLs resolve", async () => {
    const response = await fetch(`${gateway.url}/settings`, { redirect: "manual" });
    assert.equal(response.status, 308);
    assert.equal(response.headers.get("location"), "/settings/");
  });

  test("is public: no token needed, the page signs in from its #token fragment", async () => {
    const response = await call(gateway, "GET", "/settings/");
    assert.equal(response.status, 200);
  });

  const refused = [
    "/settings/index.js",
    "/settings/outside.txt",
    "/settings/..",
    "/settings/../outside.txt",
    "/settings/..%2foutside.txt",
    "/settings/%2e%2e%2foutside.txt",
    "/settings/%2e%2e/outside.txt",
    "/settings/..%5coutside.txt",
    "/settings/settings.js%00.html",
    "/settings/./settings.js/",
    "/settings/client/settings.js",
    "/settings/%2fetc%2fpasswd",
    "/settings/settings.html/..",
  ];
  for (const path of refused) {
    test(`refuses ${path} without reading outside the known files`, async () => {
      const response = await rawGet(gateway, path);
      assert.ok(response.status === 404 || response.status === 400, `${path}: ${response.status}`);
      assert.ok(!response.body.includes("OUTSIDE-FILE-CONTENT"), "nothing outside the directory");
      assert.ok(!response.body.includes("UNLISTED_FILE"), "no file beyond the known names");
    });
  }

  test("no directory listing: /settings/ is the page itself", async () => {
    const response = await rawGet(gateway, "/settings/");
    assert.doesNotMatch(response.body, /settings\.css<|index\.js/);
  });

  test("answers 503 naming npm run build:client while the files are missing", async () => {
    for (const path of ["/settings/", "/settings/settings.js"]) {
      const response = await call(unbuilt, "GET", path);
      assert.equal(response.status, 503);
      assert.equal(errorOf(response).code, "settings_page_not_built");
      assert.match(errorOf(response).message, /npm run build:client/);
      assert.equal(response.headers.get("content-security-policy"), CSP);
    }
  });
});

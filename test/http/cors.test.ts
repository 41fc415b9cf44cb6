/**
 * @module test/http/cors
 * Cross-origin access (`server.corsOrigins`): a listed origin's page may call the gateway and read its
 * answers (refusals included), an unlisted one may not; checked on the wire and in real Chromium.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { existsSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { type Browser, chromium } from "playwright-core";
import { addUser } from "../support/gateway-client.ts";
import { startGateway, type TestGateway } from "../support/start-gateway.ts";

const CHROMIUM = "/usr/bin/chromium";
const LISTED = "https://app.example.test";

describe("CORS for listed origins", () => {
  let gateway: TestGateway;
  let closed: TestGateway;
  before(async () => {
    gateway = await startGateway({ config: { server: { corsOrigins: [LISTED] } } });
    closed = await startGateway();
  });
  after(async () => {
    await gateway.close();
    await closed.close();
  });

  const preflight = (target: TestGateway, origin: string) =>
    fetch(`${target.url}/v1/byok/verify`, {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type,x-byok-openai",
      },
    });

  test("a listed origin's preflight is allowed with its headers, no credentials", async () => {
    const response = await preflight(gateway, LISTED);
    assert.equal(response.status, 204);
    assert.equal(response.headers.get("access-control-allow-origin"), LISTED);
    assert.match(response.headers.get("access-control-allow-headers") ?? "", /x-byok-openai/);
    assert.match(response.headers.get("access-control-allow-methods") ?? "", /POST/);
    assert.equal(response.headers.get("access-control-allow-credentials"), null);
    assert.match(response.headers.get("vary") ?? "", /origin/i);
  });

  test("an unlisted origin gets no CORS headers, and without corsOrigins there is no CORS at all", async () => {
    const unlisted = await preflight(gateway, "https://evil.example.test");
    assert.equal(unlisted.headers.get("access-control-allow-origin"), null);
    const none = await preflight(closed, LISTED);
    assert.equal(none.headers.get("access-control-allow-origin"), null);
  });

  test("a refusal carries the CORS headers, so the page can read why", async () => {
    const response = await fetch(`${gateway.url}/v1/byok/enrollment`, { headers: { origin: LISTED } });
    assert.equal(response.status, 401);
    assert.equal(response.headers.get("access-control-allow-origin"), LISTED);
    assert.match(response.headers.get("access-control-expose-headers") ?? "", /x-byok-status/);
  });
});

describe("CORS in Chromium", () => {
  let page: http.Server;
  let pageOrigin: string;
  let listed: TestGateway;
  let unlisted: TestGateway;
  let browser: Browser;
  before(async () => {
    assert.ok(
      existsSync(CHROMIUM),
      `Chromium is missing at ${CHROMIUM}: install it with \`apt-get install -y chromium\``,
    );
    page = http.createServer((_request, response) => {
      response.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>app</title>");
    });
    page.listen(0, "127.0.0.1");
    await once(page, "listening");
    pageOrigin = `http://127.0.0.1:${(page.address() as AddressInfo).port}`;
    listed = await startGateway({ config: { server: { corsOrigins: [pageOrigin] } } });
    unlisted = await startGateway();
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
    await listed?.close();
    await unlisted?.close();
    page?.closeAllConnections();
    page?.close();
  });

  test("an app page calls a gateway that lists its origin, and cannot read one that does not", {
    timeout: 60_000,
  }, async () => {
    const token = await addUser(listed, "cors-user");
    const otherToken = await addUser(unlisted, "cors-user");
    const context = await browser.newContext();
    try {
      const tab = await context.newPage();
      await tab.goto(`${pageOrigin}/`);
      const attempt = (url: string, bearer: string) =>
        tab.evaluate(
          async ([target, credential]) => {
            try {
              const response = await fetch(target as string, {
                headers: {
                  authorization: `Bearer ${credential}`,
                  "x-byok-openai": "sk-cors-browser-1111111111111111",
                },
              });
              return { status: response.status, byokStatus: response.headers.get("x-byok-status") };
            } catch (error) {
              return { failed: String(error) };
            }
          },
          [url, bearer] as const,
        );
      const allowed = await attempt(`${listed.url}/v1/byok/enrollment`, token);
      assert.ok("status" in allowed && allowed.status === 200, JSON.stringify(allowed));
      // An exposed header is readable by the page.
      assert.match(String(allowed.byokStatus), /^inactive/);
      const refused = await attempt(`${unlisted.url}/v1/byok/enrollment`, otherToken);
      assert.ok("failed" in refused, `an unlisted origin cannot read the answer: ${JSON.stringify(refused)}`);
    } finally {
      await context.close();
    }
  });
});

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { after, before, describe, test } from "node:test";
import { addUser, call, errorOf } from "../support/gateway-client.ts";
import { MAIN } from "../support/run-cli.ts";
import { createTempDir, startGateway, TEST_PEPPER, type TestGateway } from "../support/start-gateway.ts";

describe("server behaviour", () => {
  let gateway: TestGateway;
  let token: string;
  before(async () => {
    gateway = await startGateway({ config: { server: { bodyLimitBytes: 4096 } } });
    token = await addUser(gateway, "http-user");
  });
  after(() => gateway.close());

  test("healthz and readyz", async () => {
    assert.deepEqual((await call(gateway, "GET", "/healthz")).body, { status: "ok" });
    const ready = await call(gateway, "GET", "/readyz");
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body, { status: "ready" });
  });

  test("malformed JSON → 400 invalid_json in the OpenAI envelope", async () => {
    const response = await call(gateway, "PUT", "/v1/byok/enrollment", {
      token,
      rawBody: '{"fingerprints": {',
    });
    assert.equal(response.status, 400);
    const error = errorOf(response);
    assert.equal(error.type, "invalid_json");
    assert.deepEqual(Object.keys(error).sort(), ["code", "message", "param", "type"]);
  });

  test("an empty JSON body → 400 invalid_json", async () => {
    const response = await call(gateway, "PUT", "/v1/byok/enrollment", {
      token,
      rawBody: "",
      headers: { "content-type": "application/json" },
    });
    assert.equal(response.status, 400);
    assert.equal(errorOf(response).type, "invalid_json");
  });

  test("a body over the limit → 413 payload_too_large", async () => {
    const response = await call(gateway, "PUT", "/v1/byok/enrollment", {
      token,
      body: { pad: "x".repeat(10_000) },
    });
    assert.equal(response.status, 413);
    assert.equal(errorOf(response).type, "payload_too_large");
  });

  test("a non-JSON content type → 415", async () => {
    const response = await call(gateway, "PUT", "/v1/byok/enrollment", {
      token,
      rawBody: "fingerprints=1",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assert.equal(response.status, 415);
    assert.equal(errorOf(response).type, "unsupported_media_type");
  });

  test("an unknown route → 404 in the same envelope, with a request id", async () => {
    const response = await call(gateway, "GET", "/v1/nope?secret=1");
    assert.equal(response.status, 404);
    assert.equal(errorOf(response).type, "not_found");
    assert.ok(!errorOf(response).message.includes("secret"), "the query string is not echoed");
    assert.match(response.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
  });

  test("authentication is checked before the body is read", async () => {
    const response = await call(gateway, "PUT", "/v1/byok/enrollment", { rawBody: "{not json" });
    assert.equal(response.status, 401);
  });
});

test("closing the server lets an in-flight request finish", async () => {
  const gate = Promise.withResolvers<void>();
  const arrival = Promise.withResolvers<void>();
  const gateway = await startGateway({
    routes: (app) =>
      app.get("/test/slow", async () => {
        arrival.resolve();
        await gate.promise;
        return { finished: true };
      }),
  });
  const inFlight = fetch(`${gateway.url}/test/slow`);
  await arrival.promise;
  const closing = gateway.app.close();
  gate.resolve();
  const response = await inFlight;
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { finished: true });
  await closing;
  await gateway.byok.close();
});

test("SIGTERM stops a running gateway process cleanly", async () => {
  const child = spawn(process.execPath, [MAIN, "serve"], {
    env: {
      PATH: process.env.PATH ?? "",
      BYOK_PORT: "0",
      BYOK_HOST: "127.0.0.1",
      BYOK_DATA_DIR: createTempDir(),
      BYOK_PEPPER: TEST_PEPPER,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const listening = new Promise<string>((resolve) => {
    child.stdout.on("data", (chunk) => {
      output += chunk;
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) resolve(match[1]!);
    });
  });
  const url = await listening;
  assert.equal((await fetch(`${url}/healthz`)).status, 200);
  child.kill("SIGTERM");
  const [code] = await once(child, "exit");
  assert.equal(code, 0);
  assert.match(output, /"msg":"stopped"/);
});

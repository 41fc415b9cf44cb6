/**
 * @module test/security/keys-in-paths-and-listings
 * A key in play in the wrong place stays out of the logs and listings: percent-encoded in the URL path
 * (a known or an unknown route), as a header name in any letter case, and as `X-BYOK-Custom-Model` (refused
 * as unusable, so neither `GET /v1/models` nor `GET /v1/byok/routes` shows it).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { call } from "../support/gateway-client.ts";
import { type ModelGateway, startModelGateway } from "../support/model-gateway.ts";

const KEY = "sk-proj-canary0openai1path2q3w4e5r6t7y8zxq41";
const MIXED = "sk-proj-CanaryMixedCase0openai9Q8w7E6r5T4y";
const CUSTOM_KEY = "cstm-CANARYcustomListing-ZXq91";
let mg: ModelGateway;
let token: string;
let headers: Record<string, string>;

before(async () => {
  mg = await startModelGateway();
  const user = await mg.user(
    { openai: KEY, custom: CUSTOM_KEY },
    { baseUrl: mg.fakes.custom.baseUrl, model: "my-model" },
  );
  token = user.token;
  headers = user.headers;
});
after(() => mg.close());

test("percent-encoded key in the path: no log line holds the key (minus its first character)", async () => {
  const before = mg.gateway.logs.length;
  const response = await call(mg.gateway, "GET", `/v1/models/%73${KEY.slice(1)}`, { token, headers });
  console.log("status", response.status, response.text.slice(0, 200));
  const lines = mg.gateway.logs.slice(before).filter((line) => line.includes(KEY.slice(1)));
  assert.deepEqual(
    lines.map((l) => l.slice(0, 300)),
    [],
  );
});

test("percent-encoded key on an unknown path (404): no log line holds it", async () => {
  const before = mg.gateway.logs.length;
  await call(mg.gateway, "GET", `/v1/%73${KEY.slice(1)}`, { token, headers });
  const lines = mg.gateway.logs.slice(before).filter((line) => line.includes(KEY.slice(1)));
  assert.deepEqual(
    lines.map((l) => l.slice(0, 300)),
    [],
  );
});

test("X-BYOK-Custom-Model = the custom key: GET /v1/models does not list it", async () => {
  const response = await call(mg.gateway, "GET", "/v1/models", {
    token,
    headers: { ...headers, "x-byok-custom-model": CUSTOM_KEY },
  });
  assert.ok(!response.text.includes("CANARY"), response.text.slice(0, 600));
});

test("X-BYOK-Custom-Model = the custom key: GET /v1/byok/routes does not show it", async () => {
  const response = await call(mg.gateway, "GET", "/v1/byok/routes", {
    token,
    headers: { ...headers, "x-byok-custom-model": CUSTOM_KEY },
  });
  assert.ok(!response.text.includes("CANARY"), response.text.slice(0, 600));
});

test("mixed-case key as a header name: no log line holds it in any case", async () => {
  const user = await mg.user({ openai: MIXED });
  const before = mg.gateway.logs.length;
  await call(mg.gateway, "GET", "/v1/models", {
    token: user.token,
    headers: { ...user.headers, [MIXED]: "1" },
  });
  const lines = mg.gateway.logs
    .slice(before)
    .filter((line) => line.toLowerCase().includes(MIXED.toLowerCase()));
  assert.deepEqual(
    lines.map((l) => l.slice(0, 400)),
    [],
  );
});

/**
 * @module test/security/short-custom-key-in-model
 * A short custom key (a local server's `local`) inside a legitimate custom model name (`local-model`) does
 * not refuse the call: keys under 8 characters are not looked for in model names.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { call } from "../support/gateway-client.ts";
import { type ModelGateway, startModelGateway } from "../support/model-gateway.ts";

const KEY = "local"; // LM Studio and llama.cpp accept any key; model "local-model" is LM Studio's documented name
let mg: ModelGateway;
before(async () => {
  mg = await startModelGateway();
});
after(() => mg.close());

test("enrolled default model `local-model` with custom key `local`: feature `agent` is served", async () => {
  const user = await mg.user({ custom: KEY }, { baseUrl: mg.fakes.custom.baseUrl, model: "local-model" });
  const response = await call(mg.gateway, "POST", "/v1/chat/completions", {
    token: user.token,
    headers: user.headers,
    body: { model: "agent", messages: [{ role: "user", content: "hi" }] },
  });
  assert.equal(response.status, 200, `${response.status} ${response.text}`);
});

test("X-BYOK-Custom-Model `local-model` with custom key `local`: feature `agent` is served", async () => {
  const user = await mg.user({ custom: KEY }, { baseUrl: mg.fakes.custom.baseUrl, model: "other" });
  const response = await call(mg.gateway, "POST", "/v1/chat/completions", {
    token: user.token,
    headers: { ...user.headers, "x-byok-custom-model": "local-model" },
    body: { model: "agent", messages: [{ role: "user", content: "hi" }] },
  });
  assert.equal(response.status, 200, `${response.status} ${response.text}`);
});

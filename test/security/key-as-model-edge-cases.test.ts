/**
 * @module test/security/key-as-model-edge-cases
 * A key used as the model name that the key-as-model refusal cannot see (one validation dropped, as for a
 * provider never enrolled) is still not echoed in the model_not_found message; a short custom key (7
 * characters, as LiteLLM's `sk-1234`) in the path is refused and not logged.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { call } from "../support/gateway-client.ts";
import { type ModelGateway, startModelGateway } from "../support/model-gateway.ts";

const OPENAI_KEY = "sk-proj-enrolledOpenai-Q1w2E3r4T5y6ZXq92";
const DROPPED = "sk-ant-api03-CANARYdroppedAnthropic-Zq8";
let mg: ModelGateway;
before(async () => {
  mg = await startModelGateway();
});
after(() => mg.close());

test("a key sent in X-BYOK-Anthropic (not enrolled, dropped) used as model: not echoed", async () => {
  const user = await mg.user({ openai: OPENAI_KEY });
  const response = await call(mg.gateway, "POST", "/v1/chat/completions", {
    token: user.token,
    headers: { ...user.headers, "x-byok-anthropic": DROPPED },
    body: { model: DROPPED, messages: [{ role: "user", content: "hi" }] },
  });
  assert.ok(!response.text.includes("CANARY"), `${response.status} ${response.text.slice(0, 300)}`);
});

test("a short custom key (7 chars, e.g. LiteLLM's sk-1234) in the path: not logged", async () => {
  const KEY = "sk-9z7x";
  const user = await mg.user({ custom: KEY }, { baseUrl: mg.fakes.custom.baseUrl, model: "my-model" });
  const before = mg.gateway.logs.length;
  const response = await call(mg.gateway, "GET", `/v1/models/${KEY}`, {
    token: user.token,
    headers: user.headers,
  });
  const lines = mg.gateway.logs.slice(before).filter((line) => line.includes(`/v1/models/${KEY}`));
  assert.deepEqual(
    { status: response.status, lines: lines.map((l) => l.slice(0, 200)) },
    { status: 400, lines: [] },
  );
});

/**
 * @module test/security/key-as-model-edge-cases
 * A short custom key (7 characters, as LiteLLM's `sk-1234`) in the path: too short to be refused as a model
 * name (keys under 8 characters are not looked for in names), but the request log line loses it.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { call } from "../support/gateway-client.ts";
import { type ModelGateway, startModelGateway } from "../support/model-gateway.ts";

let mg: ModelGateway;
before(async () => {
  mg = await startModelGateway();
});
after(() => mg.close());

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
    // Too short to be looked for in a model name (a local server's `local` in `local-model`), so it is an
    // unknown model; the log line still loses it.
    { status: 404, lines: [] },
  );
});

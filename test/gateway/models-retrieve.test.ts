/**
 * @module test/gateway/models-retrieve
 * GET /v1/models/{model} with the official openai SDK: every id the list holds (features, aliases with a
 * slash, direct `provider/model` names) answers the very entry the list has, valid against the spec's
 * Model; an id the list does not hold is a 404 `model_not_found` (`param: "model"`) the SDK raises.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import { call } from "../support/gateway-client.ts";
import { type ModelGateway, startModelGateway, TEST_FEATURES } from "../support/model-gateway.ts";
import { assertMatchesSchema, assertValidErrorResponse } from "../support/openai-schema.ts";

const OPENAI_KEY = "sk-user-openai-retrieve-111111111111";

describe("GET /v1/models/{model} (official openai SDK)", () => {
  let env: ModelGateway;
  before(async () => {
    env = await startModelGateway({
      features: {
        ...TEST_FEATURES,
        summary: { ...TEST_FEATURES.summary, aliases: ["gpt-4o-mini", "meta-llama/Llama-3.1-8B"] },
      },
    });
  });
  after(() => env.close());

  test("each listed id answers the list's own entry, valid against the spec's Model", async () => {
    const user = await env.user({ openai: OPENAI_KEY });
    const listed = [];
    for await (const model of user.openai.models.list()) listed.push(model);
    const ids = listed.map((model) => model.id);
    for (const id of ["summary", "gpt-4o-mini", "meta-llama/Llama-3.1-8B", "openai/gpt-4.1-mini"])
      assert.ok(ids.includes(id), `${id} is listed: ${ids.join(", ")}`);
    for (const entry of listed) {
      const model = await user.openai.models.retrieve(entry.id);
      assertMatchesSchema("Model", model);
      assert.deepEqual(model, entry, `${entry.id}: the same object as the list's`);
    }
  });

  test("an id with a slash resolves sent raw or URL-encoded", async () => {
    const user = await env.user({ openai: OPENAI_KEY });
    const alias = await user.openai.models.retrieve("meta-llama/Llama-3.1-8B");
    assert.equal(alias.id, "meta-llama/Llama-3.1-8B");
    assert.equal((alias as { feature?: string }).feature, "summary");
    for (const path of ["/v1/models/openai/gpt-4.1-mini", "/v1/models/openai%2Fgpt-4.1-mini"]) {
      const response = await call(env.gateway, "GET", path, { token: user.token, headers: user.headers });
      assert.equal(response.status, 200, `${path}: ${response.text}`);
      assertMatchesSchema("Model", response.body);
      assert.equal((response.body as { id: string }).id, "openai/gpt-4.1-mini");
      assert.equal((response.body as { owned_by: string }).owned_by, "openai");
    }
    // The trailing slash still lists.
    const list = await call(env.gateway, "GET", "/v1/models/", { token: user.token, headers: user.headers });
    assert.equal((list.body as { object: string }).object, "list");
  });

  test("an unknown id, or one these keys cannot run, is a 404 model_not_found the SDK raises", async () => {
    const user = await env.user({ openai: OPENAI_KEY });
    const keyless = await env.user();
    const cases: Array<[OpenAI, string]> = [
      [user.openai, "no-such-model"],
      [user.openai, "openrouter/openai/gpt-4.1-mini"],
      // premium runs on the user's own openai key only: without one it is not listed, so not found.
      [keyless.openai, "premium"],
    ];
    for (const [client, id] of cases) {
      const error = await client.models.retrieve(id).then(
        () => assert.fail(`${id} should not be found`),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof OpenAI.NotFoundError, `${id}: ${String(error)}`);
      assert.equal(error.status, 404);
      assert.equal(error.type, "model_not_found");
      assert.equal(error.param, "model");
      assert.match(error.message, new RegExp(`\`${id}\` does not exist`));
    }
    const raw = await call(env.gateway, "GET", "/v1/models/no-such-model", {
      token: user.token,
      headers: user.headers,
    });
    assert.equal(raw.status, 404);
    assertValidErrorResponse(raw.body);
    const { message, ...fields } = (raw.body as { error: { message: string } }).error;
    assert.deepEqual(fields, { type: "model_not_found", param: "model", code: null });
    assert.match(message, /GET \/v1\/models lists those that can/);
  });

  test("the same guards as the list: no token is a 401", async () => {
    for (const path of ["/v1/models", "/v1/models/summary"]) {
      const response = await call(env.gateway, "GET", path);
      assert.equal(response.status, 401, path);
      assert.equal((response.body as { error: { type: string } }).error.type, "missing_credentials");
    }
    const user = await env.user({ openai: OPENAI_KEY });
    const wrongKey = await call(env.gateway, "GET", "/v1/models/summary", {
      token: user.token,
      headers: { "x-byok-openai": "sk-user-openai-other-2222222222222222" },
    });
    assert.equal(wrongKey.status, 403, wrongKey.text);
    assert.equal((wrongKey.body as { error: { type: string } }).error.type, "byok_key_mismatch");
  });
});

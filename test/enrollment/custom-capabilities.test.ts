/**
 * @module test/enrollment/custom-capabilities.test
 * The custom endpoint's capabilities declared at enrollment: parsed with a 400 naming the item at fault
 * (and a seeded property over arbitrary JSON), stored, shown in the status, and honoured by routing
 * within the feature's `customCapabilities` (the official `openai` SDK against loopback fakes).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { MODEL_CAPABILITIES } from "../../src/config/feature-schema.ts";
import { parseEnrollmentBody } from "../../src/enrollment/parse-enrollment-body.ts";
import { isGatewayError } from "../../src/errors/gateway-error.ts";
import { computeFingerprint } from "../../src/keys/index.ts";
import { call, errorOf } from "../support/gateway-client.ts";
import { type ModelGateway, startModelGateway } from "../support/model-gateway.ts";
import { assertValidEmbeddingResponse } from "../support/openai-schema.ts";

const SEED = 20261208;
const CUSTOM_KEY = "sk-custom-capabilities-0000000000001";
const fp = computeFingerprint(CUSTOM_KEY);

const FEATURES = {
  embed: {
    needs: ["embeddings" as const],
    allowCustom: true,
    routes: [{ provider: "openai" as const, model: "text-embedding-3-small" }],
  },
  narrow: { allowCustom: true, customCapabilities: ["chat" as const] },
};

describe("custom capabilities: the enrollment body", () => {
  const body = (capabilities: unknown) => ({
    fingerprints: { custom: fp },
    custom: { baseUrl: "https://models.example.com/v1", capabilities },
  });

  test("a list of known capabilities is kept (duplicates once); absent or null is nothing declared", () => {
    assert.deepEqual(parseEnrollmentBody(body(["chat", "embeddings", "chat"])).custom?.capabilities, [
      "chat",
      "embeddings",
    ]);
    assert.equal(parseEnrollmentBody(body(null)).custom?.capabilities, null);
    assert.equal(parseEnrollmentBody(body(undefined)).custom?.capabilities, null);
  });

  for (const [name, value, param] of [
    ["not an array", "chat", "custom.capabilities"],
    ["empty", [], "custom.capabilities"],
    ["an unknown name", ["chat", "telepathy"], "custom.capabilities[1]"],
    ["stt (the custom endpoint never transcribes)", ["stt"], "custom.capabilities[0]"],
    ["a number", [7], "custom.capabilities[0]"],
  ] as const) {
    test(`${name}: 400 invalid_enrollment at ${param}`, () => {
      assert.throws(
        () => parseEnrollmentBody(body(value)),
        (error: unknown) =>
          isGatewayError(error) && error.type === "invalid_enrollment" && error.param === param,
      );
    });
  }

  test(`property (seeded ${SEED}): any JSON is a list of known capabilities or a 400 naming custom.capabilities`, () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (value) => {
        try {
          const parsed = parseEnrollmentBody(body(value)).custom?.capabilities;
          if (parsed === null || parsed === undefined) return;
          assert.ok(parsed.length > 0);
          assert.ok(parsed.every((capability) => MODEL_CAPABILITIES.includes(capability)));
        } catch (error) {
          assert.ok(isGatewayError(error), String(error));
          assert.equal(error.type, "invalid_enrollment");
          assert.match(error.param ?? "", /^custom\.capabilities(\[\d+\])?$/);
        }
      }),
      { seed: SEED, numRuns: 500, interruptAfterTimeLimit: 20_000, markInterruptAsFailure: true },
    );
  });
});

describe("custom capabilities through the gateway", () => {
  let env: ModelGateway;
  before(async () => {
    env = await startModelGateway({ features: FEATURES });
  });
  after(() => env.close());

  async function userDeclaring(capabilities: readonly string[] | undefined) {
    const user = await env.user();
    const custom = {
      baseUrl: env.fakes.custom.baseUrl,
      model: "my-embedder",
      ...(capabilities === undefined ? {} : { capabilities }),
    };
    const enrolled = await call(env.gateway, "PUT", "/v1/byok/enrollment", {
      token: user.token,
      body: { fingerprints: { custom: fp }, custom },
    });
    assert.equal(enrolled.status, 200, enrolled.text);
    return { user, enrolled };
  }

  const embed = (token: string) =>
    call(env.gateway, "POST", "/v1/embeddings", {
      token,
      headers: { "x-byok-custom": CUSTOM_KEY },
      body: { model: "embed", input: "hello" },
    });

  test("declared embeddings: the custom endpoint serves them, and the status shows what was declared", async () => {
    const { user, enrolled } = await userDeclaring(["chat", "embeddings"]);
    assert.deepEqual((enrolled.body as { custom: unknown }).custom, {
      baseUrl: env.fakes.custom.baseUrl,
      model: "my-embedder",
      capabilities: ["chat", "embeddings"],
    });
    const response = await embed(user.token);
    assert.equal(response.status, 200, response.text);
    assertValidEmbeddingResponse(response.body);
    assert.equal(response.headers.get("x-byok-route"), "custom/my-embedder; source=byok");
  });

  test("declared chat only: embeddings skip the custom endpoint for the operator's route", async () => {
    const { user } = await userDeclaring(["chat"]);
    const before = env.fakes.custom.requests.length;
    const response = await embed(user.token);
    assert.equal(response.status, 200, response.text);
    assert.equal(response.headers.get("x-byok-route"), "openai/text-embedding-3-small; source=operator");
    assert.equal(env.fakes.custom.requests.length, before, "the custom endpoint was not asked");
  });

  test("a direct custom/<model> call honours the declaration too, and its error names it", async () => {
    const { user } = await userDeclaring(["chat"]);
    const response = await call(env.gateway, "POST", "/v1/embeddings", {
      token: user.token,
      headers: { "x-byok-custom": CUSTOM_KEY },
      body: { model: "custom/my-embedder", input: "hello" },
    });
    assert.equal(response.status, 400);
    const error = errorOf(response);
    assert.equal(error.type, "no_route");
    assert.match(error.message, /the enrollment's custom\.capabilities/);
  });

  test("the operator's ceiling wins: a declared capability the feature withholds is not used", async () => {
    const { user } = await userDeclaring(["chat", "embeddings"]);
    const response = await call(env.gateway, "POST", "/v1/embeddings", {
      token: user.token,
      headers: { "x-byok-custom": CUSTOM_KEY },
      body: { model: "narrow", input: "hello" },
    });
    assert.equal(response.status, 400);
    const error = errorOf(response);
    assert.equal(error.type, "no_route");
    assert.match(error.message, /features\.narrow\.customCapabilities/);
  });
});

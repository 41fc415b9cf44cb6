/**
 * @module test/library/ai-sdk-embedding-model
 * `byok.embeddingModel(feature)` with the real AI SDK (`embed`, `embedMany`) against the loopback fake
 * OpenAI: bound to a request's context (`byok.run`) or an explicit caller; vectors in input order; lists
 * longer than `maxEmbeddingsPerCall` split into several calls; refusals as `APICallError`.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { APICallError } from "@ai-sdk/provider";
import { embed, embedMany } from "ai";
import { fakeEmbedding } from "../peers/fake-openai-provider.ts";
import { withRequests } from "../support/anthropic-gateway.ts";
import {
  type ModelGateway,
  OPERATOR_KEYS,
  startModelGateway,
  TEST_FEATURES,
} from "../support/model-gateway.ts";

const USER_KEY = "sk-embedding-user-7777777777777777";
let env: ModelGateway;
before(async () => {
  env = await startModelGateway({
    features: {
      ...TEST_FEATURES,
      embed_byok: {
        needs: ["embeddings"],
        routes: [{ provider: "openai", model: "text-embedding-3-small" }],
        operatorFallback: false,
      },
    },
  });
});
after(() => env.close());

test("embed inside a request context: BYOK-served on the user's key, the vector as the provider sent it", async () => {
  const user = await env.user({ openai: USER_KEY });
  const byok = env.gateway.byok;
  const context = await byok.handle({ authorization: `Bearer ${user.token}`, ...user.headers });
  const model = byok.embeddingModel("embed");
  const { result, requests } = await withRequests(env.fakes.openai, () =>
    byok.run(context, () => embed({ model, value: "sunny afternoon", maxRetries: 0 })),
  );
  assert.deepEqual(result.embedding, fakeEmbedding(0));
  assert.ok(result.usage.tokens > 0);
  assert.equal(requests[0]!.headers.authorization, `Bearer ${USER_KEY}`);
  assert.deepEqual((requests[0]!.body as { input: unknown }).input, ["sunny afternoon"]);
  const report = await byok.usage.report(user.id, null);
  assert.equal(report.usage.byok.requests, 1);
});

test("embedMany keeps the input order and splits past maxEmbeddingsPerCall", async () => {
  const user = await env.user();
  const model = env.gateway.byok.embeddingModel("embed", { userId: user.id });
  assert.equal(model.maxEmbeddingsPerCall, 2048);
  const values = Array.from({ length: 2050 }, (_, index) => `note ${index}`);
  const { result, requests } = await withRequests(env.fakes.openai, () =>
    embedMany({ model, values, maxRetries: 0, maxParallelCalls: 1 }),
  );
  assert.equal(requests.length, 2);
  assert.equal((requests[0]!.body as { input: string[] }).input.length, 2048);
  assert.equal(requests[0]!.headers.authorization, `Bearer ${OPERATOR_KEYS.openai}`);
  assert.equal(result.embeddings.length, 2050);
  assert.deepEqual(result.embeddings[2047], fakeEmbedding(2047));
  assert.deepEqual(result.embeddings[2049], fakeEmbedding(1), "the second call's second input");
});

test("a BYOK-only embeddings feature without keys is an APICallError 403", async () => {
  const user = await env.user();
  const failed = await embed({
    model: env.gateway.byok.embeddingModel("embed_byok", { userId: user.id }),
    value: "x",
    maxRetries: 0,
  }).catch((error: unknown) => error);
  assert.ok(APICallError.isInstance(failed));
  assert.equal(failed.statusCode, 403);
  assert.equal((failed.data as { type: string }).type, "byok_required");
});

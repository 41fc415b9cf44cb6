/**
 * @module test/routing/echoed-names-kept
 * Error messages that name a feature or a model keep the name as configured or sent: a feature like
 * `skill_extraction` or a model id like `gpt-4o-mini-search-preview-2025-03-11` is not taken for a key.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { call } from "../support/gateway-client.ts";
import { type ModelGateway, startModelGateway, TEST_FEATURES } from "../support/model-gateway.ts";

let mg: ModelGateway;
before(async () => {
  mg = await startModelGateway({
    features: {
      ...TEST_FEATURES,
      skill_extraction: { routes: [{ provider: "openai", model: "gpt-4.1" }], operatorFallback: false },
    },
  });
});
after(() => mg.close());

const messageOf = (body: unknown) => (body as { error: { message: string } }).error.message;

test("byok_required for the operator's feature `skill_extraction` names it", async () => {
  const user = await mg.user();
  const response = await call(mg.gateway, "POST", "/v1/chat/completions", {
    token: user.token,
    body: { model: "skill_extraction", messages: [{ role: "user", content: "hi" }] },
  });
  assert.ok(messageOf(response.body).includes("skill_extraction"), `${response.status} ${response.text}`);
});

test("a direct OpenAI model name (gpt-4o-mini-realtime-preview-2024-12-17) is named in the refusal", async () => {
  const user = await mg.user();
  const response = await call(mg.gateway, "POST", "/v1/chat/completions", {
    token: user.token,
    body: {
      model: "openai/gpt-4o-mini-realtime-preview-2024-12-17",
      messages: [{ role: "user", content: "hi" }],
    },
  });
  assert.ok(
    messageOf(response.body).includes("gpt-4o-mini-realtime-preview-2024-12-17"),
    `${response.status} ${response.text}`,
  );
});

test("GET /v1/models/gpt-4o-mini-search-preview-2025-03-11: model_not_found names it", async () => {
  const user = await mg.user();
  const response = await call(mg.gateway, "GET", "/v1/models/gpt-4o-mini-search-preview-2025-03-11", {
    token: user.token,
  });
  assert.ok(
    messageOf(response.body).includes("gpt-4o-mini-search-preview-2025-03-11"),
    `${response.status} ${response.text}`,
  );
});

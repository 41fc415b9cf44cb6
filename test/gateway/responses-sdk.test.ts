/**
 * @module test/gateway/responses-sdk.test
 * `POST /v1/responses` through the official `openai` SDK on Chat Completions upstreams (OpenRouter, Gemini's
 * compatible API and the custom endpoint; loopback fakes), BYOK- and operator-served: `responses.create`
 * and `responses.stream()` with every Response and event validated against OpenAI's published schemas, the
 * ingress's default feature, metering and the quota on the operator's key. The custom endpoint's tools,
 * formats, refusals and failures are in responses-sdk-custom.test.ts.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { call } from "../support/gateway-client.ts";
import type { GatewayUser, ModelGateway } from "../support/model-gateway.ts";
import {
  bodyOf,
  CHAT_ROUTES,
  expectedKey,
  expectedRoute,
  routeUser,
  withUpstreamRequest,
} from "../support/provider-routes.ts";
import {
  assertRefusedQuota,
  assertWireResponse,
  collectEvents,
  PLAN_REQUESTS,
  startResponsesGateway,
} from "../support/responses-sdk.ts";
import { ADMIN_TOKEN } from "../support/start-gateway.ts";

/** Every chat route but `openai` (which speaks the Responses API and is passed through, not translated). */
const TRANSLATED = CHAT_ROUTES.filter((route) => route.provider !== "openai");

describe("the Responses API through the openai SDK, translated to Chat Completions", () => {
  let env: ModelGateway;
  before(async () => {
    env = await startResponsesGateway();
  });
  after(() => env.close());

  for (const { provider, feature, model, sources } of TRANSLATED) {
    for (const source of sources) {
      describe(`${provider}, ${source}-served (model "${feature}")`, () => {
        let user: GatewayUser;
        before(async () => {
          user = await routeUser(env, provider, source);
        });

        test("responses.create: a Response that validates, the chat request upstream", async () => {
          const { result, upstream } = await withUpstreamRequest(env.fakes[provider], () =>
            user.openai.responses
              .create({ model: feature, instructions: "Be brief.", input: "Say hello", store: false })
              .withResponse(),
          );
          assert.equal(result.response.headers.get("x-byok-route"), expectedRoute(provider, model, source));
          assertWireResponse(result.data);
          assert.equal(result.data.object, "response");
          assert.match(result.data.id, /^resp_/);
          assert.equal(result.data.status, "completed");
          assert.equal(result.data.model, feature);
          assert.equal(result.data.output_text, `Hello from ${model}`);
          assert.ok((result.data.usage?.total_tokens ?? 0) > 0);
          assert.match(upstream.path, /\/chat\/completions$/);
          assert.equal(upstream.headers.authorization, `Bearer ${expectedKey(provider, source)}`);
          const body = bodyOf(upstream);
          assert.equal(body.model, model);
          assert.deepEqual(body.messages, [
            { role: "system", content: "Be brief." },
            { role: "user", content: "Say hello" },
          ]);
        });

        test("responses.stream() + finalResponse(): every event validates, in order", async () => {
          const { result, upstream } = await withUpstreamRequest(env.fakes[provider], async () => {
            const stream = user.openai.responses.stream({ model: feature, input: "Say hello" });
            const events = collectEvents(stream);
            const final = await stream.finalResponse();
            return { final, events };
          });
          assertWireResponse(result.final);
          const types = result.events.map((event) => (event as { type: string }).type);
          assert.equal(types[0], "response.created");
          assert.equal(types.at(-1), "response.completed");
          assert.ok(types.filter((type) => type === "response.output_text.delta").length >= 3);
          assert.equal(result.final.output_text, `Hello from ${model}`);
          const body = bodyOf(upstream);
          assert.equal(body.stream, true);
          if (provider === "custom") {
            // A custom endpoint is not asked for stream usage (not every host accepts stream_options).
            assert.equal(body.stream_options, undefined);
            assert.equal(result.final.usage, undefined);
          } else {
            assert.deepEqual(body.stream_options, { include_usage: true });
            assert.ok((result.final.usage?.input_tokens ?? 0) > 0, "usage asked for and reported");
          }
        });
      });
    }
  }

  test("the responses ingress's default feature serves a name the app does not know", async () => {
    const user = await routeUser(env, "openrouter", "byok");
    const { result, upstream } = await withUpstreamRequest(env.fakes.openrouter, () =>
      user.openai.responses.create({ model: "gpt-4o-mini", input: "hi" }).withResponse(),
    );
    assert.equal(result.response.headers.get("x-byok-route"), "openrouter/openai/gpt-4.1-mini; source=byok");
    assert.equal(result.data.model, "gpt-4o-mini", "the Response names the model the client sent");
    assert.equal(bodyOf(upstream).model, "openai/gpt-4.1-mini");
  });

  test("operator-served calls are metered and limited like chat", async () => {
    const user = await env.user();
    const setPlan = await call(env.gateway, "PUT", `/admin/users/${user.id}/plan`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: { plan: "small" },
    });
    assert.equal(setPlan.status, 200, setPlan.text);
    const plain = await user.openai.responses.create({ model: "metered", input: "one two three" });
    const streamed = await user.openai.responses
      .stream({ model: "metered", input: "four five" })
      .finalResponse();
    const fake = env.fakes.openrouter;
    await assertRefusedQuota(fake, () => user.openai.responses.create({ model: "metered", input: "again" }));
    const usage = await call(env.gateway, "GET", "/v1/usage", { token: user.token });
    const operator = (usage.body as { usage: { operator: Record<string, number> } }).usage.operator;
    assert.equal(operator.requests, PLAN_REQUESTS);
    assert.equal(
      operator.input_tokens,
      (plain.usage?.input_tokens ?? 0) + (streamed.usage?.input_tokens ?? 0),
    );
    assert.equal(
      operator.output_tokens,
      (plain.usage?.output_tokens ?? 0) + (streamed.usage?.output_tokens ?? 0),
    );
    assert.equal(operator.estimated_requests, 0);
  });
});

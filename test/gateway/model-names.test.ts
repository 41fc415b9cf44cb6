/**
 * @module test/gateway/model-names
 * Model names as clients send them, with the official SDKs: an alias (`gpt-4o-mini`, a vLLM-style
 * `meta-llama/…`, an Anthropic model name on /v1/messages) is served exactly as its feature; an unknown name
 * goes to the ingress's default feature; with no default, the 404 lists what would have matched and the
 * setting to change; /v1/models lists aliases and validates against the spec's ListModelsResponse.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import {
  ANTHROPIC_FEATURES,
  ANTHROPIC_USER_KEY,
  type AnthropicGateway,
  CLAUDE_MODEL,
  startAnthropicGateway,
  withOneRequest,
} from "../support/anthropic-gateway.ts";
import { call } from "../support/gateway-client.ts";
import { type ModelGateway, startModelGateway, TEST_FEATURES } from "../support/model-gateway.ts";
import {
  assertValidChatCompletion,
  assertValidErrorResponse,
  assertValidModelList,
} from "../support/openai-schema.ts";

const OPENAI_KEY = "sk-user-openai-names-1111111111111111";

interface UsageView {
  usage: { by_feature: Array<{ feature: string | null; source: string; requests: number }> };
}

async function featuresUsed(env: ModelGateway, token: string): Promise<Array<string | null>> {
  await env.gateway.byok.usage.flush();
  const response = await call(env.gateway, "GET", "/v1/usage", { token });
  assert.equal(response.status, 200, response.text);
  return (response.body as UsageView).usage.by_feature.map((entry) => entry.feature);
}

describe("model names on /v1/chat/completions and /v1/models (official openai SDK)", () => {
  let env: ModelGateway;
  before(async () => {
    env = await startModelGateway({
      features: {
        ...TEST_FEATURES,
        summary: { ...TEST_FEATURES.summary, aliases: ["gpt-4o-mini", "meta-llama/Llama-3.1-8B"] },
        embed: { ...TEST_FEATURES.embed, aliases: ["text-embedding-3-small"] },
      },
      config: { routing: { defaultFeatures: { embeddings: "embed" } } },
    });
  });
  after(() => env.close());

  test("an alias is served exactly as its feature: the feature's route, usage under the feature", async () => {
    const user = await env.user({ openai: OPENAI_KEY });
    const { data, response } = await user.openai.chat.completions
      .create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    assertValidChatCompletion(data);
    assert.equal(response.headers.get("x-byok-route"), "openai/gpt-4.1-mini; source=byok");
    const upstream = env.fakes.openai.requests.at(-1)!.body as { model: string; temperature: number };
    assert.equal(upstream.model, "gpt-4.1-mini", "the route's model goes upstream, not the alias");
    assert.equal(upstream.temperature, 0.2, "the feature's params apply");
    assert.deepEqual(await featuresUsed(env, user.token), ["summary"]);
  });

  test("an alias with a slash (what vLLM clients send) is an alias, not direct naming", async () => {
    const user = await env.user({ openai: OPENAI_KEY });
    const { response } = await user.openai.chat.completions
      .create({ model: "meta-llama/Llama-3.1-8B", messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    assert.equal(response.headers.get("x-byok-route"), "openai/gpt-4.1-mini; source=byok");
    // Direct naming still works beside it.
    const direct = await user.openai.chat.completions
      .create({ model: "openai/gpt-4o", messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    assert.equal(direct.response.headers.get("x-byok-route"), "openai/gpt-4o; source=byok");
  });

  test("an unknown name with no chat default: 404 model_not_found listing what would match", async () => {
    const user = await env.user({ openai: OPENAI_KEY });
    const error = await user.openai.chat.completions
      .create({ model: "gpt-5-turbo", messages: [{ role: "user", content: "hi" }] })
      .then(
        () => assert.fail("must be refused"),
        (caught: unknown) => caught,
      );
    assert.ok(error instanceof OpenAI.NotFoundError, String(error));
    assertValidErrorResponse({ error: error.error });
    const body = error.error as { type: string; param: string; message: string };
    assert.equal(body.type, "model_not_found");
    assert.equal(body.param, "model");
    assert.match(body.message, /`gpt-5-turbo` is not a feature or alias/);
    assert.match(
      body.message,
      /summary, gpt-4o-mini \(alias of summary\), meta-llama\/Llama-3\.1-8B \(alias of summary\)/,
    );
    assert.match(body.message, /agent/);
    assert.doesNotMatch(body.message, /embed/, "an embeddings feature cannot serve chat: not listed");
    assert.match(body.message, /provider\/model on your own key/);
    assert.match(body.message, /`features\.<feature>\.aliases` or sets `routing\.defaultFeatures\.chat`/);
  });

  test("an unknown name on /v1/embeddings goes to the embeddings default", async () => {
    const user = await env.user({ openai: OPENAI_KEY });
    const { data, response } = await user.openai.embeddings
      .create({ model: "some-embedding-model", input: "hello" })
      .withResponse();
    assert.equal(data.object, "list");
    assert.equal(response.headers.get("x-byok-route"), "openai/text-embedding-3-small; source=byok");
  });

  test("/v1/models lists each alias with the feature it serves, valid against ListModelsResponse", async () => {
    const user = await env.user({ openai: OPENAI_KEY });
    const response = await call(env.gateway, "GET", "/v1/models", {
      token: user.token,
      headers: user.headers,
    });
    assert.equal(response.status, 200, response.text);
    assertValidModelList(response.body);
    const data = (response.body as { data: Array<{ id: string; feature?: string; owned_by: string }> }).data;
    const byId = new Map(data.map((entry) => [entry.id, entry]));
    assert.equal(byId.get("summary")?.feature, "summary");
    assert.equal(byId.get("gpt-4o-mini")?.feature, "summary");
    assert.equal(byId.get("meta-llama/Llama-3.1-8B")?.feature, "summary");
    assert.equal(byId.get("text-embedding-3-small")?.feature, "embed");
    assert.equal(byId.get("openai/gpt-4.1-mini")?.feature, undefined, "direct names serve no feature");
    // The SDK reads the same list.
    const listed = [];
    for await (const model of user.openai.models.list()) listed.push(model.id);
    assert.ok(listed.includes("gpt-4o-mini"));
  });
});

describe("a chat default feature (official openai SDK)", () => {
  let env: ModelGateway;
  before(async () => {
    env = await startModelGateway({ config: { routing: { defaultFeatures: { chat: "summary" } } } });
  });
  after(() => env.close());

  test("a name that matches nothing is served by routing.defaultFeatures.chat", async () => {
    const user = await env.user({ openai: OPENAI_KEY });
    const { data, response } = await user.openai.chat.completions
      .create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    assertValidChatCompletion(data);
    assert.equal(response.headers.get("x-byok-route"), "openai/gpt-4.1-mini; source=byok");
    assert.deepEqual(await featuresUsed(env, user.token), ["summary"]);
  });

  test("a feature name and direct provider/model still win over the default", async () => {
    const user = await env.user({ openai: OPENAI_KEY });
    const premium = await user.openai.chat.completions
      .create({ model: "premium", messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    assert.equal(premium.response.headers.get("x-byok-route"), "openai/gpt-4.1; source=byok");
    const direct = await user.openai.chat.completions
      .create({ model: "openai/gpt-4o", messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    assert.equal(direct.response.headers.get("x-byok-route"), "openai/gpt-4o; source=byok");
  });
});

describe("an Anthropic model name as an alias on /v1/messages (official Anthropic SDK)", () => {
  let env: AnthropicGateway;
  before(async () => {
    env = await startAnthropicGateway({
      features: {
        ...ANTHROPIC_FEATURES,
        claude: { ...ANTHROPIC_FEATURES.claude, aliases: ["claude-3-5-haiku-latest"] },
        gpt: { ...ANTHROPIC_FEATURES.gpt, aliases: ["claude-sonnet-4-0"] },
      },
    });
  });
  after(() => env.close());

  test("passed through to Anthropic under the route's model", async () => {
    const user = await env.user({ anthropic: ANTHROPIC_USER_KEY });
    const { result, body } = await withOneRequest(env.anthropic, () =>
      user.anthropic.messages
        .create({
          model: "claude-3-5-haiku-latest",
          max_tokens: 64,
          messages: [{ role: "user", content: "hi" }],
        })
        .withResponse(),
    );
    assert.equal(result.data.type, "message");
    assert.equal(body.model, CLAUDE_MODEL);
    assert.equal(result.response.headers.get("x-byok-route"), `anthropic/${CLAUDE_MODEL}; source=byok`);
  });

  test("translated to an OpenAI route when the alias names an OpenAI-routed feature", async () => {
    const user = await env.user({ anthropic: ANTHROPIC_USER_KEY });
    const { result, body } = await withOneRequest(env.fakes.openai, () =>
      user.anthropic.messages
        .create({ model: "claude-sonnet-4-0", max_tokens: 64, messages: [{ role: "user", content: "hi" }] })
        .withResponse(),
    );
    assert.equal(result.data.type, "message");
    assert.equal(body.model, "gpt-4.1-mini");
    assert.equal(result.response.headers.get("x-byok-route"), "openai/gpt-4.1-mini; source=operator");
  });

  test("an unknown name: the Anthropic SDK's NotFoundError, the message naming the messages default", async () => {
    const user = await env.user({ anthropic: ANTHROPIC_USER_KEY });
    const error = await user.anthropic.messages
      .create({ model: "claude-opus-9", max_tokens: 64, messages: [{ role: "user", content: "hi" }] })
      .then(
        () => assert.fail("must be refused"),
        (caught: unknown) => caught,
      );
    assert.ok(error instanceof Anthropic.NotFoundError, String(error));
    assert.match(String(error.message), /claude-3-5-haiku-latest \(alias of claude\)/);
    assert.match(String(error.message), /routing\.defaultFeatures\.messages/);
  });
});

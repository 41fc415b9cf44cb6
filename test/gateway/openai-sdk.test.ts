/**
 * @module test/gateway/openai-sdk.test
 * The official `openai` SDK against the gateway: chat (plain, streamed, stream helper, streamed tool calls) on
 * every OpenAI-dialect provider, BYOK- and operator-served; embeddings in both encodings; models; direct names.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import type {
  ChatCompletionFunctionTool,
  ChatCompletionMessageParam,
} from "openai/resources/chat/completions";
import { fakeEmbedding, type RecordedRequest } from "../peers/fake-openai-provider.ts";
import { enroll } from "../support/gateway-client.ts";
import { type GatewayUser, type ModelGateway, startModelGateway } from "../support/model-gateway.ts";
import {
  bodyOf,
  CHAT_ROUTES,
  expectedKey,
  expectedRoute,
  routeUser,
  SDK_FEATURES,
  USER_KEYS,
  withUpstreamRequest,
} from "../support/provider-routes.ts";

const messages: ChatCompletionMessageParam[] = [{ role: "user", content: "Say hello" }];
const weatherTools: ChatCompletionFunctionTool[] = ["get_weather", "get_time"].map((name) => ({
  type: "function",
  function: { name, parameters: { type: "object", properties: { city: { type: "string" } } } },
}));

/** The client with a fetch that keeps the last response's headers (the stream helper has no `withResponse`). */
function capturingHeaders(client: OpenAI): { readonly client: OpenAI; readonly headers: () => Headers } {
  let last: Headers | undefined;
  const wrapped = client.withOptions({
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      last = response.headers;
      return response;
    },
  });
  return {
    client: wrapped,
    headers: () => {
      assert.ok(last, "a response arrived");
      return last;
    },
  };
}

function assertNoByokHeaders(headers: Readonly<Record<string, string>>): void {
  const leaked = Object.keys(headers).filter((name) => name.startsWith("x-byok"));
  assert.deepEqual(leaked, [], "no X-BYOK-* header travels upstream");
}

describe("chat completions through the openai SDK", () => {
  let env: ModelGateway;
  before(async () => {
    env = await startModelGateway({ features: SDK_FEATURES });
  });
  after(() => env.close());

  for (const { provider, feature, model, sources } of CHAT_ROUTES) {
    for (const source of sources) {
      describe(`${provider}, ${source}-served (model "${feature}")`, () => {
        let user: GatewayUser;
        const route = expectedRoute(provider, model, source);
        const assertUpstream = (upstream: RecordedRequest) => {
          assert.equal(upstream.headers.authorization, `Bearer ${expectedKey(provider, source)}`);
          assert.equal(bodyOf(upstream).model, model);
          assertNoByokHeaders(upstream.headers);
        };
        before(async () => {
          user = await routeUser(env, provider, source);
        });

        test("non-streaming", async () => {
          const { result, upstream } = await withUpstreamRequest(env.fakes[provider], () =>
            user.openai.chat.completions.create({ model: feature, messages }).withResponse(),
          );
          assert.equal(result.response.headers.get("x-byok-route"), route);
          assert.equal(result.data.object, "chat.completion");
          assert.equal(result.data.choices[0]?.message.content, `Hello from ${model}`);
          assert.equal(result.data.choices[0]?.finish_reason, "stop");
          assert.ok((result.data.usage?.total_tokens ?? 0) > 0);
          assert.match(upstream.path, /\/chat\/completions$/);
          assert.equal(bodyOf(upstream).stream, undefined);
          assertUpstream(upstream);
        });

        test("streaming: the chunks reassemble the content", async () => {
          const { result, upstream } = await withUpstreamRequest(env.fakes[provider], async () => {
            const { data: stream, response } = await user.openai.chat.completions
              .create({ model: feature, messages, stream: true })
              .withResponse();
            const pieces: string[] = [];
            let finish: string | null = null;
            for await (const chunk of stream) {
              for (const choice of chunk.choices) {
                if (choice.delta.content) pieces.push(choice.delta.content);
                finish = choice.finish_reason ?? finish;
              }
            }
            return { response, pieces, finish };
          });
          assert.equal(result.response.headers.get("x-byok-route"), route);
          assert.match(result.response.headers.get("content-type") ?? "", /^text\/event-stream/);
          assert.ok(result.pieces.length >= 3, `content arrived in pieces (${result.pieces.length})`);
          assert.equal(result.pieces.join(""), `Hello from ${model}`);
          assert.equal(result.finish, "stop");
          assert.equal(bodyOf(upstream).stream, true);
          assertUpstream(upstream);
        });

        test("chat.completions.stream() + finalChatCompletion()", async () => {
          const capture = capturingHeaders(user.openai);
          const { result, upstream } = await withUpstreamRequest(env.fakes[provider], async () => {
            const stream = capture.client.chat.completions.stream({ model: feature, messages });
            let chunks = 0;
            stream.on("chunk", () => {
              chunks += 1;
            });
            const final = await stream.finalChatCompletion();
            return { final, chunks };
          });
          assert.equal(capture.headers().get("x-byok-route"), route);
          assert.ok(result.chunks >= 4, `several chunks (${result.chunks})`);
          assert.equal(result.final.choices[0]?.message.content, `Hello from ${model}`);
          assert.equal(result.final.choices[0]?.message.role, "assistant");
          assert.equal(result.final.choices[0]?.finish_reason, "stop");
          assertUpstream(upstream);
        });

        test("streamed tool calls, arguments split across many chunks, come out whole", async () => {
          const capture = capturingHeaders(user.openai);
          const { result, upstream } = await withUpstreamRequest(env.fakes[provider], async () => {
            const stream = capture.client.chat.completions.stream({
              model: feature,
              messages: [{ role: "user", content: "What is the weather?" }],
              tools: weatherTools,
            });
            let argumentFragments = 0;
            stream.on("chunk", (chunk) => {
              for (const choice of chunk.choices) {
                for (const call of choice.delta.tool_calls ?? [])
                  if (call.function?.arguments) argumentFragments++;
              }
            });
            const final = await stream.finalChatCompletion();
            return { final, argumentFragments };
          });
          assert.equal(capture.headers().get("x-byok-route"), route);
          assert.ok(result.argumentFragments >= 10, `arguments in fragments (${result.argumentFragments})`);
          const choice = result.final.choices[0];
          assert.equal(choice?.finish_reason, "tool_calls");
          const calls = choice?.message.tool_calls ?? [];
          assert.equal(calls.length, 2);
          const expected = [
            { name: "get_weather", city: "Paris" },
            { name: "get_time", city: "Tokyo" },
          ];
          calls.forEach((call, index) => {
            assert.match(call.id, /^call_\w+$/);
            assert.equal(call.type, "function");
            if (call.type !== "function") return;
            assert.equal(call.function.name, expected[index]?.name);
            assert.deepEqual(JSON.parse(call.function.arguments), { city: expected[index]?.city });
          });
          assert.notEqual(calls[0]?.id, calls[1]?.id);
          assert.equal((bodyOf(upstream).tools as unknown[]).length, 2);
          assertUpstream(upstream);
        });
      });
    }
  }
});

describe("embeddings through the openai SDK", () => {
  const inputs = ["first text", "second text", "third text"];
  const expected = inputs.map((_, index) => fakeEmbedding(index));
  let env: ModelGateway;
  let withOpenAi: GatewayUser;
  let withoutKeys: GatewayUser;
  before(async () => {
    env = await startModelGateway({ features: SDK_FEATURES });
    withOpenAi = await routeUser(env, "openai", "byok");
    withoutKeys = await routeUser(env, "openai", "operator");
  });
  after(() => env.close());

  for (const source of ["byok", "operator"] as const) {
    test(`the SDK's default (base64) decodes to the upstream's floats, ${source}-served`, async () => {
      const user = source === "byok" ? withOpenAi : withoutKeys;
      const { result, upstream } = await withUpstreamRequest(env.fakes.openai, () =>
        user.openai.embeddings.create({ model: "embed", input: inputs }).withResponse(),
      );
      assert.equal(
        result.response.headers.get("x-byok-route"),
        expectedRoute("openai", "text-embedding-3-small", source),
      );
      assert.equal(upstream.headers.authorization, `Bearer ${expectedKey("openai", source)}`);
      assert.equal(bodyOf(upstream).encoding_format, "base64");
      assert.deepEqual(
        result.data.data.map((item) => item.embedding),
        expected,
      );
      assert.deepEqual(
        result.data.data.map((item) => item.index),
        [0, 1, 2],
      );
      assert.ok(result.data.usage.total_tokens > 0);
    });
  }

  test('explicit encoding_format "float" answers arrays of numbers', async () => {
    const { result, upstream } = await withUpstreamRequest(env.fakes.openai, () =>
      withOpenAi.openai.embeddings.create({ model: "embed", input: inputs, encoding_format: "float" }),
    );
    assert.equal(bodyOf(upstream).encoding_format, "float");
    assert.deepEqual(
      result.data.map((item) => item.embedding),
      expected,
    );
  });

  test("gemini (floats only): the gateway asks floats and encodes base64 for the SDK's default", async () => {
    const user = await routeUser(env, "gemini", "byok");
    const { result, upstream } = await withUpstreamRequest(env.fakes.gemini, () =>
      user.openai.embeddings.create({ model: "embed_gemini", input: inputs }).withResponse(),
    );
    assert.equal(
      result.response.headers.get("x-byok-route"),
      expectedRoute("gemini", "gemini-embedding-001", "byok"),
    );
    assert.equal(upstream.headers.authorization, `Bearer ${USER_KEYS.gemini}`);
    assert.equal(bodyOf(upstream).encoding_format, "float");
    assert.deepEqual(
      result.data.data.map((item) => item.embedding),
      expected,
    );
  });
});

describe("embeddings from upstreams that ignore encoding_format base64", () => {
  const inputs = ["one", "two"];
  const expected = inputs.map((_, index) => fakeEmbedding(index));
  let env: ModelGateway;
  before(async () => {
    env = await startModelGateway({
      features: SDK_FEATURES,
      fakeOptions: {
        openai: { base64Embeddings: false },
        gemini: { base64Embeddings: false },
        custom: { base64Embeddings: false },
      },
    });
  });
  after(() => env.close());

  const cases = [
    { provider: "openai", feature: "embed", source: "byok" },
    { provider: "openai", feature: "embed", source: "operator" },
    { provider: "gemini", feature: "embed_gemini", source: "byok" },
    { provider: "gemini", feature: "embed_gemini", source: "operator" },
    { provider: "custom", feature: "embed", source: "byok" },
  ] as const;
  for (const { provider, feature, source } of cases) {
    test(`${provider}, ${source}-served: the SDK's default still gets the right numbers`, async () => {
      const user = await routeUser(env, provider, source);
      const { result, upstream } = await withUpstreamRequest(env.fakes[provider], () =>
        user.openai.embeddings.create({ model: feature, input: inputs }),
      );
      assert.equal(upstream.headers.authorization, `Bearer ${expectedKey(provider, source)}`);
      assert.deepEqual(
        result.data.map((item) => item.embedding),
        expected,
        "the client asked base64 (the SDK's default): floats from upstream must reach it base64-encoded",
      );
    });
  }

  test('explicit "float" from such an upstream stays floats', async () => {
    const user = await routeUser(env, "gemini", "byok");
    const response = await user.openai.embeddings.create({
      model: "embed_gemini",
      input: inputs,
      encoding_format: "float",
    });
    assert.deepEqual(
      response.data.map((item) => item.embedding),
      expected,
    );
  });
});

describe("models and direct provider/model names through the openai SDK", () => {
  let env: ModelGateway;
  before(async () => {
    env = await startModelGateway({ features: SDK_FEATURES });
  });
  after(() => env.close());

  async function modelIds(client: OpenAI): Promise<string[]> {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    return ids;
  }

  test("GET /v1/models: runnable features; premium and openai/* only once the user has an openai key", async () => {
    const user = await env.user();
    const before = await modelIds(user.openai);
    for (const feature of ["summary", "agent", "embed", "chat_openrouter", "chat_gemini", "embed_gemini"]) {
      assert.ok(before.includes(feature), `${feature} is listed for a user without keys`);
    }
    assert.ok(!before.includes("premium"), "the BYOK-only feature is not listed without a key");
    assert.deepEqual(
      before.filter((id) => id.includes("/")),
      [],
      "no direct names without keys",
    );

    const enrolled = await enroll(env.gateway, user.token, { openai: USER_KEYS.openai });
    assert.equal(enrolled.status, 200);
    const client = new OpenAI({
      baseURL: `${env.gateway.url}/v1`,
      apiKey: user.token,
      defaultHeaders: { "x-byok-openai": USER_KEYS.openai },
      maxRetries: 0,
    });
    const after = await modelIds(client);
    assert.ok(after.includes("premium"), "premium is listed once the user has an openai key");
    assert.ok(after.includes("summary"));
    for (const direct of ["openai/gpt-4.1-mini", "openai/gpt-4.1", "openai/text-embedding-3-small"]) {
      assert.ok(after.includes(direct), `${direct} is listed for an openai key holder`);
    }
    assert.deepEqual(
      after.filter((id) => id.includes("/") && !id.startsWith("openai/")),
      [],
      "only the openai key unlocks direct names",
    );
    assert.equal(new Set(after).size, after.length, "no duplicates");
  });

  test("openai/gpt-4o-mini runs directly on the user's own key", async () => {
    const user = await routeUser(env, "openai", "byok");
    const { result, upstream } = await withUpstreamRequest(env.fakes.openai, () =>
      user.openai.chat.completions.create({ model: "openai/gpt-4o-mini", messages }).withResponse(),
    );
    assert.equal(result.response.headers.get("x-byok-route"), "openai/gpt-4o-mini; source=byok");
    assert.equal(result.data.choices[0]?.message.content, "Hello from gpt-4o-mini");
    assert.equal(upstream.headers.authorization, `Bearer ${USER_KEYS.openai}`);
    assert.equal(bodyOf(upstream).model, "gpt-4o-mini");
  });

  test("openai/gpt-4o-mini without an openai key: 403 byok_required, never the operator's key", async () => {
    const users = [await env.user(), await routeUser(env, "gemini", "byok")];
    for (const user of users) {
      const sent = env.fakes.openai.requests.length;
      const error = await user.openai.chat.completions.create({ model: "openai/gpt-4o-mini", messages }).then(
        () => assert.fail("the call must be refused"),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof OpenAI.APIError, String(error));
      assert.equal(error.status, 403);
      assert.equal(error.type, "byok_required");
      assert.equal(env.fakes.openai.requests.length, sent, "nothing reached the provider");
    }
  });
});

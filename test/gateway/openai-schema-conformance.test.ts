/**
 * @module test/gateway/openai-schema-conformance.test
 * The gateway's bytes against OpenAI's published schemas (raw fetch): completions, every streamed chunk, usage
 * chunks as asked, embeddings, model lists and error bodies, from strict and lenient upstreams alike.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { FakeProviderOptions } from "../peers/fake-openai-provider.ts";
import { call, errorOf, type JsonResponse } from "../support/gateway-client.ts";
import {
  type FakeProviderId,
  type GatewayUser,
  type ModelGateway,
  startModelGateway,
} from "../support/model-gateway.ts";
import {
  assertValidChatCompletion,
  assertValidChatCompletionChunk,
  assertValidEmbeddingResponse,
  assertValidErrorResponse,
  assertValidModelList,
  parseSseData,
  sseDataPayloads,
  sseDoneCount,
} from "../support/openai-schema.ts";
import {
  bodyOf,
  CHAT_ROUTES,
  expectedRoute,
  routeUser,
  SDK_FEATURES,
  type Source,
  withUpstreamRequest,
} from "../support/provider-routes.ts";

type Json = Record<string, unknown>;

const messages = [{ role: "user", content: "Say hello" }];
const tools = ["get_weather", "get_time"].map((name) => ({
  type: "function",
  function: { name, parameters: { type: "object", properties: { city: { type: "string" } } } },
}));

/** A streamed answer: every chunk schema-valid, exactly one `[DONE]`, and it comes last. */
function streamedChunks(response: JsonResponse): Json[] {
  assert.equal(response.status, 200, response.text);
  assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
  const chunks = parseSseData(response.text) as Json[];
  assert.ok(chunks.length > 0);
  for (const chunk of chunks) assertValidChatCompletionChunk(chunk);
  assert.equal(sseDoneCount(response.text), 1, "exactly one [DONE]");
  assert.equal(sseDataPayloads(response.text).at(-1), "[DONE]", "[DONE] is the last event");
  return chunks;
}

const isUsageChunk = (chunk: Json) => Array.isArray(chunk.choices) && chunk.choices.length === 0;

function contentOf(chunks: readonly Json[]): string {
  return chunks
    .flatMap((chunk) => chunk.choices as Array<{ delta?: { content?: string | null } }>)
    .map((choice) => choice.delta?.content ?? "")
    .join("");
}

function assertErrorBody(response: JsonResponse, status: number, type: string): Json {
  assert.equal(response.status, status, response.text);
  assertValidErrorResponse(response.body);
  const error = errorOf(response);
  assert.equal(error.type, type);
  assert.ok(error.code === null || typeof error.code === "string", `code ${JSON.stringify(error.code)}`);
  return error as unknown as Json;
}

function conformance(label: string, fakeOptions: Partial<Record<FakeProviderId, FakeProviderOptions>>) {
  describe(label, () => {
    let env: ModelGateway;
    before(async () => {
      env = await startModelGateway({ features: SDK_FEATURES, fakeOptions });
    });
    after(() => env.close());
    const post = (user: GatewayUser, path: string, body: unknown): Promise<JsonResponse> =>
      call(env.gateway, "POST", path, { token: user.token, headers: user.headers, body });
    const userOf = (provider: FakeProviderId, source: Source) => routeUser(env, provider, source);

    for (const { provider, feature, model, sources } of CHAT_ROUTES) {
      for (const source of sources) {
        describe(`${provider}, ${source}-served`, () => {
          let user: GatewayUser;
          before(async () => {
            user = await userOf(provider, source);
          });

          test("non-streamed completion is a valid chat.completion (logprobs and refusal null)", async () => {
            const response = await post(user, "/v1/chat/completions", { model: feature, messages });
            assert.equal(response.status, 200, response.text);
            assert.equal(response.headers.get("x-byok-route"), expectedRoute(provider, model, source));
            assertValidChatCompletion(response.body);
            const choice = (response.body as { choices: Json[] }).choices[0]!;
            assert.equal(choice.logprobs, null);
            assert.equal((choice.message as Json).refusal, null);
            assert.equal((choice.message as Json).content, `Hello from ${model}`);
          });

          test("non-streamed tool calls are valid", async () => {
            const response = await post(user, "/v1/chat/completions", { model: feature, messages, tools });
            assert.equal(response.status, 200, response.text);
            assertValidChatCompletion(response.body);
            const choice = (response.body as { choices: Json[] }).choices[0]!;
            assert.equal(choice.finish_reason, "tool_calls");
            assert.equal(((choice.message as Json).tool_calls as unknown[]).length, 2);
          });

          test("stream with include_usage: every chunk valid, the usage chunk last", async () => {
            const { result, upstream } = await withUpstreamRequest(env.fakes[provider], () =>
              post(user, "/v1/chat/completions", {
                model: feature,
                messages,
                stream: true,
                stream_options: { include_usage: true },
              }),
            );
            const chunks = streamedChunks(result);
            assert.equal(contentOf(chunks), `Hello from ${model}`);
            assert.deepEqual(bodyOf(upstream).stream_options, { include_usage: true });
            assert.equal(chunks.filter(isUsageChunk).length, 1, "one usage chunk");
            const last = chunks.at(-1)!;
            assert.ok(isUsageChunk(last), "the usage chunk is the last one");
            const usage = last.usage as Json;
            assert.ok(typeof usage.total_tokens === "number" && usage.total_tokens > 0);
          });

          test("stream without include_usage: no usage chunk reaches the client", async () => {
            const { result, upstream } = await withUpstreamRequest(env.fakes[provider], () =>
              post(user, "/v1/chat/completions", { model: feature, messages, stream: true }),
            );
            const chunks = streamedChunks(result);
            assert.equal(contentOf(chunks), `Hello from ${model}`);
            assert.deepEqual(chunks.filter(isUsageChunk), [], "no chunk with choices: []");
            const withUsage = chunks.filter((chunk) => chunk.usage !== undefined && chunk.usage !== null);
            assert.deepEqual(withUsage, [], "no chunk carries usage");
            // The gateway meters from the provider's usage, so it asks for it itself where the provider can.
            const expected = provider === "custom" ? undefined : { include_usage: true };
            assert.deepEqual(bodyOf(upstream).stream_options, expected);
          });

          test("streamed tool calls: every chunk valid", async () => {
            const response = await post(user, "/v1/chat/completions", {
              model: feature,
              messages,
              tools,
              stream: true,
            });
            const chunks = streamedChunks(response);
            const finish = chunks.flatMap((chunk) =>
              (chunk.choices as Json[]).map((choice) => choice.finish_reason).filter(Boolean),
            );
            assert.deepEqual(finish, ["tool_calls"]);
          });

          test("an upstream 400 keeps its status in a valid error body (string or null code)", async () => {
            env.fakes[provider].failNext(400, { message: "Invalid value for 'temperature'." });
            const response = await post(user, "/v1/chat/completions", { model: feature, messages });
            const error = assertErrorBody(response, 400, "upstream_rejected");
            assert.match(String(error.message), /Invalid value for 'temperature'/);
            assert.equal(response.headers.get("x-byok-route"), expectedRoute(provider, model, source));
          });

          test("an upstream 400 on a stream request is a valid error body too", async () => {
            env.fakes[provider].failNext(400, { message: "Bad stream request.", code: "invalid_value" });
            const response = await post(user, "/v1/chat/completions", {
              model: feature,
              messages,
              stream: true,
            });
            const error = assertErrorBody(response, 400, "upstream_rejected");
            assert.equal(error.code, "invalid_value");
          });
        });
      }
    }

    test("an upstream 500 is a valid 502 upstream_error", async () => {
      const user = await userOf("openai", "byok");
      env.fakes.openai.failNext(500, { message: "The server had an error.", type: "server_error" });
      const response = await post(user, "/v1/chat/completions", { model: "summary", messages });
      assertErrorBody(response, 502, "upstream_error");
    });

    describe("embeddings", () => {
      const cases = [
        { provider: "openai", feature: "embed" },
        { provider: "gemini", feature: "embed_gemini" },
        { provider: "custom", feature: "embed" },
      ] as const;
      for (const { provider, feature } of cases) {
        for (const encoding of ["base64", "float"] as const) {
          test(`${provider}, encoding_format ${encoding}: a valid embedding list`, async () => {
            const user = await userOf(provider, "byok");
            const input = ["alpha", "beta"];
            const response = await post(user, "/v1/embeddings", {
              model: feature,
              input,
              encoding_format: encoding,
            });
            assert.equal(response.status, 200, response.text);
            assertValidEmbeddingResponse(response.body);
            const data = (response.body as { data: Json[] }).data;
            assert.equal(data.length, input.length);
            const kind = encoding === "base64" ? "string" : "object";
            for (const item of data) assert.equal(typeof item.embedding, kind);
          });
        }
      }
    });

    test("model lists are valid, with and without keys", async () => {
      for (const user of [await userOf("openai", "operator"), await userOf("openai", "byok")]) {
        const response = await call(env.gateway, "GET", "/v1/models", {
          token: user.token,
          headers: user.headers,
        });
        assert.equal(response.status, 200, response.text);
        assertValidModelList(response.body);
        assert.ok((response.body as { data: unknown[] }).data.length > 0);
      }
    });

    describe("gateway error bodies", () => {
      let user: GatewayUser;
      before(async () => {
        user = await userOf("openai", "operator");
      });

      test("unknown feature: 404 model_not_found", async () => {
        const response = await post(user, "/v1/chat/completions", { model: "no_such_feature", messages });
        const error = assertErrorBody(response, 404, "model_not_found");
        assert.equal(error.param, "model");
      });

      test("direct name without the key: 403 byok_required", async () => {
        const response = await post(user, "/v1/chat/completions", { model: "openai/gpt-4o-mini", messages });
        assertErrorBody(response, 403, "byok_required");
      });

      test("a chat feature asked for embeddings: 400 no_route", async () => {
        const response = await post(user, "/v1/embeddings", { model: "summary", input: "text" });
        assertErrorBody(response, 400, "no_route");
      });

      test("a body without messages: 400 invalid_request", async () => {
        const response = await post(user, "/v1/chat/completions", { model: "summary" });
        const error = assertErrorBody(response, 400, "invalid_request");
        assert.equal(error.param, "messages");
      });

      test("no credentials: 401 missing_credentials", async () => {
        const response = await call(env.gateway, "POST", "/v1/chat/completions", {
          body: { model: "summary", messages },
        });
        assertErrorBody(response, 401, "missing_credentials");
      });
    });
  });
}

conformance("schema conformance, strict upstreams", {});

conformance("schema conformance, lenient upstreams (no logprobs/refusal, numeric error codes)", {
  openai: { lenient: true },
  openrouter: { lenient: true },
  gemini: { lenient: true },
  custom: { lenient: true },
});

/** @module test/gateway/anthropic-openai-sdk.test
 * The official `openai` SDK against anthropic-routed features, BYOK- and operator-served, through a loopback fake
 * of Anthropic's Messages API: plain, streamed, stream helper, split tool calls, a tool loop, usage and caching.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionFunctionTool,
  ChatCompletionMessageParam,
} from "openai/resources/chat/completions";
import {
  ANTHROPIC_OPERATOR_KEY,
  ANTHROPIC_USER_KEY,
  type AnthropicGateway,
  type AnthropicGatewayUser,
  CLAUDE_MODEL,
  capturingHeaders,
  startAnthropicGateway,
  withOneRequest,
  withRequests,
} from "../support/anthropic-gateway.ts";
import { assertValidChatCompletion, assertValidChatCompletionChunk } from "../support/openai-schema.ts";

type Json = Record<string, unknown>;
const messages: ChatCompletionMessageParam[] = [{ role: "user", content: "Say hello" }];
const tool = (name: string): ChatCompletionFunctionTool => ({
  type: "function",
  function: { name, parameters: { type: "object", properties: { city: { type: "string" } } } },
});
const weatherTools = [tool("get_weather"), tool("get_time")];

/** Streams a request, validating every chunk against OpenAI's schema; returns the chunks and the response. */
async function streamChunks(
  user: AnthropicGatewayUser,
  params: Omit<ChatCompletionCreateParamsStreaming, "stream">,
): Promise<{ chunks: ChatCompletionChunk[]; response: Response }> {
  const { data, response } = await user.openai.chat.completions
    .create({ ...params, stream: true })
    .withResponse();
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of data) {
    assertValidChatCompletionChunk(chunk);
    chunks.push(chunk);
  }
  return { chunks, response };
}

const contentOf = (chunks: ChatCompletionChunk[]) =>
  chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.delta.content ?? "")).join("");
const finishOf = (chunks: ChatCompletionChunk[]) =>
  chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.finish_reason)).filter(Boolean);

describe("the openai SDK on an anthropic-routed feature", () => {
  let env: AnthropicGateway;
  before(async () => {
    env = await startAnthropicGateway();
  });
  after(() => env.close());

  for (const source of ["byok", "operator"] as const) {
    describe(`${source}-served`, () => {
      let user: AnthropicGatewayUser;
      const route = `anthropic/${CLAUDE_MODEL}; source=${source}`;
      const key = source === "byok" ? ANTHROPIC_USER_KEY : ANTHROPIC_OPERATOR_KEY;
      const assertUpstream = (upstream: { headers: Readonly<Record<string, string>> }, body: Json) => {
        assert.equal(upstream.headers["x-api-key"], key);
        assert.equal(upstream.headers["anthropic-version"], "2023-06-01");
        assert.equal(upstream.headers.authorization, undefined, "no bearer travels to Anthropic");
        assert.deepEqual(
          Object.keys(upstream.headers).filter((name) => name.startsWith("x-byok")),
          [],
          "no X-BYOK-* header travels upstream",
        );
        assert.equal(body.model, CLAUDE_MODEL);
        assert.ok(Number.isInteger(body.max_tokens) && (body.max_tokens as number) > 0, "max_tokens set");
      };
      before(async () => {
        user = source === "byok" ? await env.user({ anthropic: ANTHROPIC_USER_KEY }) : await env.user();
      });

      test("non-streaming", async () => {
        const { result, upstream, body } = await withOneRequest(env.anthropic, () =>
          user.openai.chat.completions.create({ model: "claude", messages }).withResponse(),
        );
        assertValidChatCompletion(result.data);
        assert.equal(result.response.headers.get("x-byok-route"), route);
        assert.equal(upstream.path, "/v1/messages");
        assert.equal(body.stream, undefined);
        assertUpstream(upstream, body);
        const choice = result.data.choices[0];
        assert.equal(choice?.message.role, "assistant");
        assert.equal(choice?.message.content, `Hello from ${CLAUDE_MODEL}`);
        assert.equal(choice?.finish_reason, "stop");
        assert.ok((result.data.usage?.prompt_tokens ?? 0) > 0);
        assert.ok((result.data.usage?.completion_tokens ?? 0) > 0);
      });

      test("streaming: a role first, content in pieces, finish_reason stop", async () => {
        const { result, upstream, body } = await withOneRequest(env.anthropic, () =>
          streamChunks(user, { model: "claude", messages }),
        );
        const { chunks, response } = result;
        assert.equal(response.headers.get("x-byok-route"), route);
        assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
        assert.equal(chunks[0]?.choices[0]?.delta.role, "assistant", "the first chunk carries the role");
        assert.ok(chunks.filter((chunk) => chunk.choices[0]?.delta.content).length >= 3, "content in pieces");
        assert.equal(contentOf(chunks), `Hello from ${CLAUDE_MODEL}`);
        assert.deepEqual(finishOf(chunks), ["stop"]);
        assert.equal(new Set(chunks.map((chunk) => chunk.id)).size, 1, "one id for the whole stream");
        assert.ok(
          chunks.every((chunk) => chunk.choices.length === 1 && !chunk.usage),
          "no usage chunk unless asked",
        );
        assert.equal(body.stream, true);
        assertUpstream(upstream, body);
      });

      test("chat.completions.stream() + finalChatCompletion()", async () => {
        const capture = capturingHeaders(user.openai);
        const { result, upstream, body } = await withOneRequest(env.anthropic, async () => {
          const stream = capture.client.chat.completions.stream({ model: "claude", messages });
          stream.on("chunk", assertValidChatCompletionChunk);
          return stream.finalChatCompletion();
        });
        assert.equal(capture.headers().get("x-byok-route"), route);
        const choice = result.choices[0];
        assert.equal(choice?.message.role, "assistant");
        assert.equal(choice?.message.content, `Hello from ${CLAUDE_MODEL}`);
        assert.equal(choice?.finish_reason, "stop");
        assertUpstream(upstream, body);
      });

      test("tool calls whose arguments arrive in many input_json_delta events come out whole", async () => {
        const capture = capturingHeaders(user.openai);
        const deltas: NonNullable<ChatCompletionChunk.Choice["delta"]["tool_calls"]> = [];
        const { result, upstream, body } = await withOneRequest(env.anthropic, async () => {
          const stream = capture.client.chat.completions.stream({
            model: "claude",
            messages: [{ role: "user", content: "What is the weather?" }],
            tools: weatherTools,
          });
          stream.on("chunk", (chunk) => {
            assertValidChatCompletionChunk(chunk);
            for (const choice of chunk.choices) deltas.push(...(choice.delta.tool_calls ?? []));
          });
          return stream.finalChatCompletion();
        });
        assert.equal(capture.headers().get("x-byok-route"), route);
        assertUpstream(upstream, body);
        assert.deepEqual(
          (body.tools as Json[]).map((sent) => [sent.name, typeof sent.input_schema]),
          [
            ["get_weather", "object"],
            ["get_time", "object"],
          ],
          "tools travel in Anthropic's shape",
        );
        // Each call's first delta names it; later ones carry only argument fragments at the same index.
        for (const index of [0, 1]) {
          const [first, ...rest] = deltas.filter((delta) => delta.index === index);
          assert.ok(first?.id, `call ${index}: the first delta has an id`);
          assert.equal(first?.type, "function");
          assert.ok(first?.function?.name, `call ${index}: the first delta has the name`);
          assert.ok(rest.length >= 3, `call ${index}: arguments in fragments (${rest.length})`);
          for (const later of rest) {
            assert.equal(later.id, undefined);
            assert.equal(later.function?.name, undefined);
          }
        }
        const choice = result.choices[0];
        assert.equal(choice?.finish_reason, "tool_calls");
        assert.equal(choice?.message.content, "Let me check.", "the text before the tool calls is kept");
        const calls = choice?.message.tool_calls ?? [];
        const expected = [
          ["get_weather", "Paris"],
          ["get_time", "Tokyo"],
        ];
        assert.equal(calls.length, 2);
        calls.forEach((call, index) => {
          assert.match(call.id, /^toolu_/);
          assert.equal(call.type, "function");
          if (call.type !== "function") return;
          assert.equal(call.function.name, expected[index]?.[0]);
          assert.deepEqual(JSON.parse(call.function.arguments), { city: expected[index]?.[1] });
        });
        assert.notEqual(calls[0]?.id, calls[1]?.id);
      });

      test("runTools: a two-turn loop; the tool result reaches Anthropic with the tool_use id", async () => {
        const seenArguments: unknown[] = [];
        const { result, requests } = await withRequests(env.anthropic, async () => {
          const runner = user.openai.chat.completions.runTools({
            model: "claude",
            messages: [{ role: "user", content: "What is the weather in Paris?" }],
            tools: [
              {
                type: "function",
                function: {
                  name: "get_weather",
                  description: "The weather in a city",
                  parameters: { type: "object", properties: { city: { type: "string" } } },
                  function: (args: { city: string }) => {
                    seenArguments.push(args);
                    return "sunny, 24C";
                  },
                  parse: (input: string) => JSON.parse(input) as { city: string },
                },
              },
            ],
          });
          runner.on("chatCompletion", assertValidChatCompletion);
          const content = await runner.finalContent();
          return { content, messages: runner.messages };
        });
        assert.equal(result.content, "It is sunny.");
        assert.deepEqual(seenArguments, [{ city: "Paris" }]);
        assert.equal(requests.length, 2, "two turns");
        const assistant = result.messages.find((m) => m.role === "assistant" && "tool_calls" in m);
        const callId =
          assistant && "tool_calls" in assistant
            ? assistant.tool_calls?.[0]?.id
            : assert.fail("no tool call");
        const second = requests[1]!.body as { messages: Array<{ role: string; content: unknown }> };
        const results = second.messages
          .flatMap((message) => (Array.isArray(message.content) ? (message.content as Json[]) : []))
          .filter((block) => block.type === "tool_result");
        assert.equal(results.length, 1);
        assert.equal(results[0]?.tool_use_id, callId);
        assert.match(JSON.stringify(results[0]?.content), /sunny, 24C/);
        for (const request of requests) assertUpstream(request, request.body as Json);
      });

      test("include_usage with prompt caching: a final usage chunk, cached tokens on the second call", async () => {
        const system = `You are the ${source} summarizer. ${"Keep every answer short and exact. ".repeat(60)}`;
        const send = () =>
          withOneRequest(env.anthropic, () =>
            streamChunks(user, {
              model: "claude",
              messages: [{ role: "system", content: system }, ...messages],
              stream_options: { include_usage: true },
            }),
          );
        const first = await send();
        const second = await send();
        for (const { result, body } of [first, second]) {
          assert.match(JSON.stringify(body.system), /"cache_control":\{"type":"ephemeral"\}/);
          const last = result.chunks.at(-1);
          assert.deepEqual(last?.choices, [], "the usage chunk has no choices");
          assert.ok((last?.usage?.prompt_tokens ?? 0) > 0);
          assert.ok((last?.usage?.completion_tokens ?? 0) > 0);
          const others = result.chunks.slice(0, -1);
          assert.ok(others.every((chunk) => chunk.usage === null || chunk.usage === undefined));
        }
        assert.equal(first.result.chunks.at(-1)?.usage?.prompt_tokens_details?.cached_tokens ?? 0, 0);
        const cached = second.result.chunks.at(-1)?.usage?.prompt_tokens_details?.cached_tokens ?? 0;
        assert.ok(cached > 0, `cached tokens on the second call (${cached})`);
        assert.ok(cached <= (second.result.chunks.at(-1)?.usage?.prompt_tokens ?? 0));
      });

      test('promptCacheKey "off": no cache_control breakpoints, no cached tokens', async () => {
        const system = `You are the uncached ${source} summarizer. ${"Be short. ".repeat(200)}`;
        for (let turn = 0; turn < 2; turn += 1) {
          const { result, body } = await withOneRequest(env.anthropic, () =>
            streamChunks(user, {
              model: "claude_nocache",
              messages: [{ role: "system", content: system }, ...messages],
              stream_options: { include_usage: true },
            }),
          );
          assert.doesNotMatch(JSON.stringify(body), /cache_control/);
          const usage = result.chunks.at(-1)?.usage;
          assert.ok((usage?.prompt_tokens ?? 0) > 0);
          assert.equal(usage?.prompt_tokens_details?.cached_tokens ?? 0, 0);
        }
      });

      test("max_tokens stop → finish_reason length, streamed and not", async () => {
        const ask: ChatCompletionMessageParam[] = [{ role: "user", content: "max" }];
        const plain = await user.openai.chat.completions.create({ model: "claude", messages: ask });
        assertValidChatCompletion(plain);
        assert.equal(plain.choices[0]?.finish_reason, "length");
        const { chunks } = await streamChunks(user, { model: "claude", messages: ask });
        assert.deepEqual(finishOf(chunks), ["length"]);
      });

      test("a mid-stream error event: the SDK raises an APIError after the first chunks", async () => {
        const chunks: ChatCompletionChunk[] = [];
        const error = await (async () => {
          const stream = await user.openai.chat.completions.create({
            model: "claude",
            messages: [{ role: "user", content: "error" }],
            stream: true,
          });
          for await (const chunk of stream) {
            assertValidChatCompletionChunk(chunk);
            chunks.push(chunk);
          }
        })().then(
          () => assert.fail("the stream must raise"),
          (caught: unknown) => caught,
        );
        assert.ok(error instanceof OpenAI.APIError, String(error));
        assert.match(error.message, /overloaded/i);
        assert.equal(chunks[0]?.choices[0]?.delta.role, "assistant");
        assert.ok(contentOf(chunks).length > 0, "text before the error arrived");
        assert.deepEqual(finishOf(chunks), [], "no finish_reason on a failed stream");
      });
    });
  }
});

/**
 * @module test/library/ai-sdk-model-features
 * `byok.model(feature)` with the real AI SDK's features on the OpenAI-compatible and Anthropic fakes:
 * tool-call round trips (`generateText`/`streamText` with `stopWhen`), structured output, settings and
 * warnings, image parts, a provider error mid-stream, cancelling, aborting, and a revocation cutting a stream.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { APICallError } from "@ai-sdk/provider";
import { generateText, isStepCount, jsonSchema, Output, streamText, tool } from "ai";
import type { GatewayConfigInput } from "../../src/config/index.ts";
import {
  ANTHROPIC_FEATURES,
  type AnthropicGateway,
  OPENAI_USER_KEY,
  startAnthropicGateway,
  withRequests,
} from "../support/anthropic-gateway.ts";
import { assertMatchesSchema } from "../support/openai-schema.ts";

const FEATURES: NonNullable<GatewayConfigInput["features"]> = {
  ...ANTHROPIC_FEATURES,
  gpt_agent: {
    needs: ["tools", "streaming", "json_schema"],
    routes: [{ provider: "openai", model: "gpt-4.1-mini" }],
    operatorFallback: true,
  },
};

// The warnings these tests provoke on purpose are asserted, not printed.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

let env: AnthropicGateway;
before(async () => {
  env = await startAnthropicGateway({ features: FEATURES });
});
after(() => env.close());

const byok = () => env.gateway.byok;

describe("AI SDK features", () => {
  const weather = tool({
    description: "The weather in a city",
    inputSchema: jsonSchema<{ city: string }>({
      type: "object",
      properties: { city: { type: "string" } },
      required: ["city"],
    }),
    execute: async ({ city }) => ({ city, forecast: "sunny" }),
  });

  for (const feature of ["gpt_agent", "claude"] as const) {
    test(`a tool call round trip with generateText and streamText (${feature})`, async () => {
      const user = await env.user();
      const model = byok().model(feature, { userId: user.id });
      const result = await generateText({
        model,
        prompt: "What is the weather?",
        tools: { weather },
        stopWhen: isStepCount(3),
        maxRetries: 0,
      });
      assert.equal(result.steps.length, 2);
      const firstCall = result.steps[0]!.toolCalls[0]!;
      assert.equal(firstCall.toolName, "weather");
      assert.equal(result.steps[0]!.finishReason, "tool-calls");
      assert.deepEqual(result.steps[0]!.toolResults[0]!.output, { city: "Paris", forecast: "sunny" });
      assert.ok(result.text.length > 0);

      const streamed = streamText({
        model,
        prompt: "What is the weather?",
        tools: { weather },
        stopWhen: isStepCount(3),
        maxRetries: 0,
      });
      const types = new Set<string>();
      for await (const part of streamed.fullStream) types.add(part.type);
      for (const type of ["tool-input-start", "tool-input-delta", "tool-call", "tool-result", "text-delta"]) {
        assert.ok(types.has(type), `the stream carried ${type}`);
      }
      assert.equal((await streamed.steps).length, 2);
    });
  }

  test("structured output asks for json_schema and parses the answer", async () => {
    const user = await env.user();
    const model = byok().model("gpt_agent", { userId: user.id });
    env.fakes.openai.respondNext((_request, response) => {
      const body = {
        id: "chatcmpl-structured",
        object: "chat.completion",
        created: 1_700_000_000,
        model: "gpt-4.1-mini",
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: '{"title":"Notes","tags":["a","b"]}', refusal: null },
            finish_reason: "stop",
            logprobs: null,
          },
        ],
        usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
      };
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    });
    const { result, requests } = await withRequests(env.fakes.openai, () =>
      generateText({
        model,
        prompt: "Title these notes",
        output: Output.object({
          schema: jsonSchema<{ title: string; tags: string[] }>({
            type: "object",
            properties: { title: { type: "string" }, tags: { type: "array", items: { type: "string" } } },
            required: ["title", "tags"],
            additionalProperties: false,
          }),
        }),
        maxRetries: 0,
      }),
    );
    assert.deepEqual(result.output, { title: "Notes", tags: ["a", "b"] });
    const sent = requests[0]!.body as { response_format: { type: string; json_schema: { schema: unknown } } };
    assert.equal(sent.response_format.type, "json_schema");
    assert.equal((sent.response_format.json_schema.schema as { type: string }).type, "object");
    assertMatchesSchema("CreateChatCompletionRequest", requests[0]!.body);
  });

  test("settings are carried, unsupported ones warned about", async () => {
    const user = await env.user();
    const model = byok().model("gpt", { userId: user.id });
    const { result, requests } = await withRequests(env.fakes.openai, () =>
      generateText({
        model,
        prompt: "hi",
        maxOutputTokens: 50,
        temperature: 0.5,
        topP: 0.9,
        topK: 3,
        seed: 7,
        stopSequences: ["END"],
        maxRetries: 0,
      }),
    );
    const sent = requests[0]!.body as Record<string, unknown>;
    assert.equal(sent.max_completion_tokens, 50);
    assert.equal(sent.temperature, 0.5);
    assert.equal(sent.top_p, 0.9);
    assert.equal(sent.seed, 7);
    assert.deepEqual(sent.stop, ["END"]);
    assert.ok(!("top_k" in sent));
    assert.ok(
      result.warnings?.some((warning) => warning.type === "unsupported" && warning.feature === "topK"),
    );
  });

  test("an image part goes as image_url (a vision feature's request)", async () => {
    const user = await env.user();
    const model = byok().model("gpt", { userId: user.id });
    const { requests } = await withRequests(env.fakes.openai, () =>
      generateText({
        model,
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "What is this?" },
              { type: "file", data: new Uint8Array([137, 80, 78, 71]), mediaType: "image/png" },
            ],
          },
        ],
        maxRetries: 0,
      }),
    );
    const sent = requests[0]!.body as { messages: Array<{ content: unknown }> };
    assert.deepEqual(sent.messages[0]!.content, [
      { type: "text", text: "What is this?" },
      { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw==" } },
    ]);
  });

  test("a provider error mid-stream reaches streamText's onError as an APICallError with the gateway's type", async () => {
    const user = await env.user();
    const errors: unknown[] = [];
    const result = streamText({
      model: byok().model("claude", { userId: user.id }),
      prompt: "error",
      maxRetries: 0,
      onError: ({ error }) => {
        errors.push(error);
      },
    });
    const text: string[] = [];
    for await (const delta of result.textStream) text.push(delta);
    assert.ok(text.join("").length > 0, "the text before the error arrived");
    assert.equal(errors.length, 1);
    const error = errors[0];
    assert.ok(APICallError.isInstance(error));
    assert.equal(error.statusCode, 502);
    assert.equal(error.isRetryable, true);
    assert.equal((error.data as { type: string }).type, "upstream_error");
  });

  test("cancelling the model's stream (no abort signal) ends the upstream call", async () => {
    const user = await env.user();
    const model = byok().model("gpt", { userId: user.id });
    const aborted = env.fakes.openai.nextAbortedResponse();
    const { stream } = await model.doStream({
      prompt: [{ role: "user", content: [{ type: "text", text: "hang" }] }],
    });
    const reader = stream.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      assert.equal(done, false, "the hanging stream stays open");
      if (value?.type === "text-delta") break;
    }
    await reader.cancel();
    const { request } = await aborted;
    assert.equal((request.body as { model: string }).model, "gpt-4.1-mini");
  });

  test("revoking the user cuts a model's open stream: an error part with the gateway's type and code", async () => {
    const user = await env.user({ openai: OPENAI_USER_KEY });
    const context = await byok().handle({ authorization: `Bearer ${user.token}`, ...user.headers });
    const errors: unknown[] = [];
    const aborted = env.fakes.openai.nextAbortedResponse();
    const result = byok().run(context, () =>
      streamText({
        model: byok().model("gpt"),
        prompt: "hang",
        maxRetries: 0,
        onError: ({ error }) => {
          errors.push(error);
        },
      }),
    );
    let revoked = false;
    for await (const _delta of result.textStream) {
      if (revoked) continue;
      revoked = true;
      await byok().users.revokeUser(user.id);
    }
    assert.ok(revoked, "the stream was open when the user was revoked");
    await aborted;
    assert.equal(errors.length, 1);
    const error = errors[0];
    assert.ok(APICallError.isInstance(error));
    assert.deepEqual(
      [(error.data as { type: string }).type, (error.data as { code: string }).code],
      ["invalid_credentials", "user_revoked"],
    );
  });

  test("aborting a stream ends the upstream call", async () => {
    const user = await env.user();
    const model = byok().model("gpt", { userId: user.id });
    const controller = new AbortController();
    const aborted = env.fakes.openai.nextAbortedResponse();
    const result = streamText({ model, prompt: "hang", abortSignal: controller.signal, maxRetries: 0 });
    const seen: string[] = [];
    await assert.rejects(async () => {
      for await (const delta of result.textStream) {
        seen.push(delta);
        controller.abort();
      }
      // streamText ends quietly on abort in some versions: make that a failure too
      throw new Error("ended");
    });
    assert.ok(seen.length >= 1);
    const { request } = await aborted;
    assert.equal((request.body as { stream: boolean }).stream, true);
  });
});

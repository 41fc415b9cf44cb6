/**
 * @module test/client/ai-sdk-responses
 * The Vercel AI SDK's default OpenAI provider (`openai(...)` calls the Responses API in `@ai-sdk/openai`
 * ≥ 2) through the gateway: generateText and streamText, and a tool call with its result sent back, on
 * an OpenAI route (passed through) and an Anthropic route (translated); every answer and event the SDK
 * received validated against the published schemas.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, jsonSchema, stepCountIs, streamText, tool } from "ai";
import { CLAUDE_MODEL } from "../support/anthropic-gateway.ts";
import { assertMatchesSchema, parseSseData } from "../support/openai-schema.ts";
import {
  ANTHROPIC_USER_KEY,
  GPT_MODEL,
  OPENAI_USER_KEY,
  type ResponsesGateway,
  startResponsesGateway,
} from "../support/responses-gateway.ts";

let env: ResponsesGateway;
before(async () => {
  env = await startResponsesGateway();
});
after(async () => {
  await env.close();
});

/** Every `/v1/responses` answer the SDK reads, checked against the spec as it arrives. */
const validatingFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  if (!url.endsWith("/v1/responses") || !response.ok) return response;
  const text = await response.clone().text();
  if ((response.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
    const events = parseSseData(text);
    assert.ok(events.length > 0);
    for (const event of events) assertMatchesSchema("ResponseStreamEvent", event);
  } else {
    assertMatchesSchema("Response", JSON.parse(text));
  }
  return response;
};

const weather = tool({
  description: "The weather in a city",
  inputSchema: jsonSchema<{ city: string }>({
    type: "object",
    properties: { city: { type: "string" } },
    required: ["city"],
    additionalProperties: false,
  }),
  execute: async ({ city }) => ({ city, sky: "clear" }),
});

const ROUTES = [
  {
    name: "an OpenAI route (passed through)",
    feature: "gpt_byok",
    keys: { openai: OPENAI_USER_KEY },
    route: `openai/${GPT_MODEL}; source=byok`,
    upstream: () => env.openai.requests,
    path: "/v1/responses",
    text: `Hello from ${GPT_MODEL}`,
    afterTool: `Hello from ${GPT_MODEL}`,
  },
  {
    name: "an Anthropic route (translated)",
    feature: "claude",
    keys: { anthropic: ANTHROPIC_USER_KEY },
    route: `anthropic/${CLAUDE_MODEL}; source=byok`,
    upstream: () => env.anthropic.requests,
    path: "/v1/messages",
    text: `Hello from ${CLAUDE_MODEL}`,
    afterTool: "It is sunny.",
  },
] as const;

for (const spec of ROUTES) {
  describe(`the AI SDK's openai(...) on ${spec.name}`, () => {
    async function provider() {
      const user = await env.user(spec.keys);
      return createOpenAI({
        baseURL: `${env.gateway.url}/v1`,
        apiKey: user.token,
        headers: user.headers,
        fetch: validatingFetch,
      });
    }

    test("generateText", async () => {
      const openai = await provider();
      const before = spec.upstream().length;
      const result = await generateText({ model: openai(spec.feature), prompt: "Say hello" });
      assert.equal(result.text, spec.text);
      assert.equal(result.response.headers?.["x-byok-route"], spec.route);
      assert.ok((result.usage.inputTokens ?? 0) > 0);
      const upstream = spec.upstream().slice(before);
      assert.equal(upstream.length, 1);
      assert.equal(upstream[0]?.path, spec.path);
    });

    test("streamText", async () => {
      const openai = await provider();
      const result = streamText({ model: openai(spec.feature), prompt: "Say hello" });
      let text = "";
      for await (const part of result.textStream) text += part;
      assert.equal(text, spec.text);
      assert.equal((await result.response).headers?.["x-byok-route"], spec.route);
      assert.ok(((await result.usage).outputTokens ?? 0) > 0);
    });

    for (const streamed of [false, true]) {
      test(`a tool call and its result (${streamed ? "streamText" : "generateText"})`, async () => {
        const openai = await provider();
        const request = {
          model: openai(spec.feature),
          prompt: "Weather in Paris?",
          tools: { get_weather: weather },
          stopWhen: stepCountIs(2),
          // Stateless: assistant text goes back as text, not as a reference to an item stored upstream.
          providerOptions: { openai: { store: false } },
        };
        const before = spec.upstream().length;
        let steps: Awaited<ReturnType<typeof generateText>>["steps"];
        let text: string;
        if (streamed) {
          const result = streamText(request);
          text = await result.text;
          steps = await result.steps;
        } else {
          const result = await generateText(request);
          text = result.text;
          steps = result.steps;
        }
        assert.equal(steps.length, 2);
        const call = steps[0]?.toolCalls[0];
        assert.equal(call?.toolName, "get_weather");
        assert.deepEqual(call?.input, { city: "Paris" });
        assert.match(text, new RegExp(spec.afterTool));
        const second = JSON.stringify(spec.upstream().slice(before)[1]?.body);
        assert.match(second, /clear/, "the tool's result went back upstream");
      });
    }
  });
}

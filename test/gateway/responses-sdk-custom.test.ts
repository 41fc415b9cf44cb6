/**
 * @module test/gateway/responses-sdk-custom.test
 * `POST /v1/responses` through the official `openai` SDK on the user's custom endpoint (a loopback chat
 * fake behind the egress guard): function tools over two turns, streamed calls, a `json_schema` text
 * format, the stateless refusals before anything goes upstream, a key echoed upstream redacted, upstream
 * errors and a stream cut short; every Response, event and error validated against the published schemas.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import type { ResponseInputItem } from "openai/resources/responses/responses";
import type { GatewayUser, ModelGateway } from "../support/model-gateway.ts";
import { assertFailedEnd, assertValidResponsesStream } from "../support/openai-schema.ts";
import { bodyOf, routeUser, USER_KEYS, withUpstreamRequest } from "../support/provider-routes.ts";
import {
  assertRefused,
  assertWireResponse,
  collectEvents,
  startResponsesGateway,
  WEATHER_TOOLS as tools,
} from "../support/responses-sdk.ts";

describe("the Responses API on the user's custom endpoint, translated to Chat Completions", () => {
  let env: ModelGateway;
  before(async () => {
    env = await startResponsesGateway();
  });
  after(() => env.close());

  describe("on the user's custom endpoint", () => {
    let user: GatewayUser;
    const fake = () => env.fakes.custom;
    before(async () => {
      user = await routeUser(env, "custom", "byok");
    });

    test("function tools, then a second turn with function_call_output items", async () => {
      const first = await user.openai.responses.create({ model: "agent", input: "Weather?", tools });
      assertWireResponse(first);
      const calls = first.output.filter((item) => item.type === "function_call");
      assert.deepEqual(
        calls.map((item) => item.name),
        ["get_weather", "get_time"],
      );
      for (const item of calls) {
        assert.match(item.id ?? "", /^fc_/);
        assert.match(item.call_id, /^call_/);
        assert.deepEqual(Object.keys(JSON.parse(item.arguments)), ["city"]);
      }
      const upstreamTools = bodyOf(fake().requests.at(-1)!).tools as Record<string, unknown>[];
      assert.deepEqual(upstreamTools[0], {
        type: "function",
        function: { name: "get_weather", parameters: tools[0]!.parameters, strict: true },
      });

      const input: ResponseInputItem[] = [
        { role: "user", content: "Weather?" },
        ...(first.output as ResponseInputItem[]),
        ...calls.map((item) => ({
          type: "function_call_output" as const,
          call_id: item.call_id,
          output: "sunny",
        })),
      ];
      const { result: second, upstream } = await withUpstreamRequest(fake(), () =>
        user.openai.responses.create({ model: "agent", input, tools }),
      );
      assertWireResponse(second);
      assert.equal(second.output_text, "Hello from my-model");
      const messages = bodyOf(upstream).messages as Record<string, unknown>[];
      assert.deepEqual(
        messages.map((message) => message.role),
        ["user", "assistant", "tool", "tool"],
      );
      assert.deepEqual(
        (messages[1]!.tool_calls as Record<string, unknown>[]).map((toolCall) => toolCall.id),
        calls.map((item) => item.call_id),
      );
      assert.equal(messages[2]?.tool_call_id, calls[0]?.call_id);
    });

    test("streamed function calls: arguments whole in finalResponse()", async () => {
      const stream = user.openai.responses.stream({ model: "agent", input: "Weather?", tools });
      const events = collectEvents(stream);
      const argumentDeltas: string[] = [];
      stream.on("response.function_call_arguments.delta", (event) => argumentDeltas.push(event.delta));
      const final = await stream.finalResponse();
      assertWireResponse(final);
      assert.equal((events.at(-1) as { type: string }).type, "response.completed");
      const calls = final.output.filter((item) => item.type === "function_call");
      assert.equal(calls.length, 2);
      assert.ok(argumentDeltas.length > 4, "arguments arrived in pieces");
      for (const item of calls) assert.equal(item.status, "completed");
      assert.equal(JSON.parse(calls[0]!.arguments).city, "Paris");
    });

    test("text.format json_schema becomes response_format; the JSON answer comes back as output_text", async () => {
      fake().respondNext((_request, response) => {
        const body = JSON.stringify({
          id: "chatcmpl-json",
          object: "chat.completion",
          created: 1,
          model: "my-model",
          choices: [
            { index: 0, finish_reason: "stop", message: { role: "assistant", content: '{"city":"Paris"}' } },
          ],
          usage: { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 },
        });
        response.writeHead(200, { "content-type": "application/json" }).end(body);
      });
      const schema = {
        type: "object",
        properties: { city: { type: "string" } },
        required: ["city"],
        additionalProperties: false,
      };
      const { result, upstream } = await withUpstreamRequest(fake(), () =>
        user.openai.responses.create({
          model: "agent",
          input: "Where?",
          text: { format: { type: "json_schema", name: "place", schema, strict: true } },
        }),
      );
      assertWireResponse(result);
      assert.deepEqual(JSON.parse(result.output_text), { city: "Paris" });
      assert.deepEqual(result.text?.format, { type: "json_schema", name: "place", schema, strict: true });
      assert.deepEqual(bodyOf(upstream).response_format, {
        type: "json_schema",
        json_schema: { name: "place", schema, strict: true },
      });
    });

    test("stateless refusals and bad shapes: 400 with param, nothing sent upstream", async () => {
      const create = (body: Record<string, unknown>) => () =>
        user.openai.responses.create({ model: "agent", input: "hi", ...body } as never);
      await assertRefused(fake(), create({ previous_response_id: "resp_123" }), "previous_response_id");
      await assertRefused(fake(), create({ store: true }), "store");
      await assertRefused(fake(), create({ tools: [{ type: "web_search" }] }), "tools[0].type");
      await assertRefused(fake(), create({ input: 5 }), "input");
    });

    test("a key the upstream echoes in the stream is redacted, in text and in its error", async () => {
      fake().respondNext((request, response) => {
        const key = (request.headers.authorization ?? "").replace(/^Bearer /, "");
        const chunk = (delta: Record<string, unknown>) =>
          `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model: "my-model", choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;
        response.writeHead(200, { "content-type": "text/event-stream" });
        response.write(chunk({ role: "assistant", content: `your key is ${key}` }));
        response.end(
          `data: ${JSON.stringify({ error: { message: `bad key ${key}`, type: "server_error" } })}\n\n`,
        );
      });
      const response = await fetch(`${env.gateway.url}/v1/responses`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${user.token}`,
          "content-type": "application/json",
          ...user.headers,
        },
        body: JSON.stringify({ model: "agent", input: "leak", stream: true }),
      });
      assert.equal(response.status, 200);
      const text = await response.text();
      assert.equal(text.includes(USER_KEYS.custom), false, "the raw key never reaches the client");
      const events = assertValidResponsesStream(text);
      const { error: last, response: failed } = assertFailedEnd(events);
      assert.equal(last.type, "error");
      assert.match(String(last.message), /bad key/);
      // The failed Response carries the output so far, redacted like the deltas.
      assert.match(JSON.stringify(failed.output), /your key is/);
    });

    test("an upstream 4xx keeps its status, the provider's message with the key redacted", async () => {
      fake().failNext(429, {
        message: "slow down, {{key}}",
        type: "rate_limit_error",
        code: "rate_limit_exceeded",
      });
      await assert.rejects(
        user.openai.responses.create({ model: "agent", input: "hi" }),
        (error: unknown) => {
          assert.ok(error instanceof OpenAI.RateLimitError, String(error));
          assert.equal(error.type, "upstream_rejected");
          assert.equal(error.code, "rate_limit_exceeded");
          assert.match(error.message, /slow down/);
          assert.equal(error.message.includes(USER_KEYS.custom), false);
          return true;
        },
      );
    });

    test("an answer that is no chat completion is a 502", async () => {
      fake().respondNext((_request, response) => {
        response.writeHead(200, { "content-type": "application/json" }).end('{"object": "chat.completion"}');
      });
      await assert.rejects(
        user.openai.responses.create({ model: "agent", input: "hi" }),
        (error: unknown) => {
          assert.ok(error instanceof OpenAI.APIError);
          assert.equal(error.status, 502);
          assert.equal(error.type, "upstream_error");
          return true;
        },
      );
    });

    test("a failure mid-stream rejects finalResponse()", async () => {
      fake().respondNext((_request, response) => {
        response.writeHead(200, { "content-type": "text/event-stream" });
        response.end(
          `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model: "my-model", choices: [{ index: 0, delta: { content: "Half" }, finish_reason: null }] })}\n\n`,
        );
      });
      const stream = user.openai.responses.stream({ model: "agent", input: "hi" });
      await assert.rejects(stream.finalResponse(), (error: unknown) => {
        assert.equal((error as { code?: unknown }).code, "stream_truncated");
        return true;
      });
    });
  });
});

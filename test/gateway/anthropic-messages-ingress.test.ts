/** @module test/gateway/anthropic-messages-ingress.test
 * The official `@anthropic-ai/sdk` against POST /v1/messages on Anthropic natively (passthrough), on an
 * OpenAI-compatible fake and on the user's custom endpoint: create, stream, tool use, a tool loop, the raw
 * event grammar, count_tokens where the route answers it, and usage recorded.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Anthropic from "@anthropic-ai/sdk";
import type { RecordedRequest } from "../peers/fake-openai-provider.ts";
import {
  ANTHROPIC_USER_KEY,
  type AnthropicGateway,
  type AnthropicGatewayUser,
  anthropicHeaders,
  CLAUDE_MODEL,
  CUSTOM_MODEL,
  CUSTOM_USER_KEY,
  OPENAI_USER_KEY,
  postRaw,
  type SseEvent,
  sseEvents,
  startAnthropicGateway,
  withOneRequest,
  withRequests,
} from "../support/anthropic-gateway.ts";
import { call } from "../support/gateway-client.ts";

type Json = Record<string, unknown>;

interface IngressRoute {
  readonly name: string;
  readonly feature: string;
  readonly provider: "anthropic" | "openai" | "custom";
  readonly model: string;
  readonly keys: Record<string, string>;
  /** The text the fake answers after a tool result. */
  readonly afterTool: string;
}

const ROUTES: readonly IngressRoute[] = [
  {
    name: "(a) Anthropic natively",
    feature: "claude",
    provider: "anthropic",
    model: CLAUDE_MODEL,
    keys: { anthropic: ANTHROPIC_USER_KEY },
    afterTool: "It is sunny.",
  },
  {
    name: "(b) an OpenAI-compatible fake",
    feature: "gpt",
    provider: "openai",
    model: "gpt-4.1-mini",
    keys: { openai: OPENAI_USER_KEY },
    afterTool: "Hello from gpt-4.1-mini",
  },
  {
    name: "(c) the user's custom endpoint, through the egress guard",
    feature: "custom_only",
    provider: "custom",
    model: CUSTOM_MODEL,
    keys: { custom: CUSTOM_USER_KEY },
    afterTool: `Hello from ${CUSTOM_MODEL}`,
  },
];

const tools: Anthropic.Tool[] = ["get_weather", "get_time"].map((name) => ({
  name,
  description: `${name} for a city`,
  input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
}));
const hello: Anthropic.MessageParam[] = [{ role: "user", content: "Say hello" }];

/** The event grammar: message_start first, blocks opened and closed in order, message_delta then message_stop. */
function assertGrammar(events: SseEvent[]): void {
  for (const { event, data } of events) {
    assert.ok(event !== null, `an event: line for ${JSON.stringify(data)}`);
    assert.equal(event, (data as { type: string }).type, "the event: line names the data's type");
  }
  const types = events.map((item) => item.event).filter((type) => type !== "ping");
  assert.equal(types[0], "message_start");
  assert.deepEqual(types.slice(-2), ["message_delta", "message_stop"]);
  let open: number | null = null;
  let next = 0;
  for (const { event, data } of events.slice(1, -2)) {
    const index = (data as { index?: number }).index;
    if (event === "content_block_start") {
      assert.equal(open, null, "one block open at a time");
      assert.equal(index, next, "block indices count up from 0");
      open = next;
    } else if (event === "content_block_delta") {
      assert.equal(index, open, "a delta belongs to the open block");
    } else if (event === "content_block_stop") {
      assert.equal(index, open);
      open = null;
      next += 1;
    } else assert.equal(event, "ping", `unexpected ${event} inside the message`);
  }
  assert.equal(open, null, "every block is closed");
  assert.ok(next > 0, "at least one block");
}

describe("the anthropic SDK against /v1/messages", () => {
  let env: AnthropicGateway;
  before(async () => {
    env = await startAnthropicGateway();
  });
  after(() => env.close());

  for (const spec of ROUTES) {
    describe(`route on ${spec.name}`, () => {
      let user: AnthropicGatewayUser;
      const routeHeader = `${spec.provider}/${spec.model}; source=byok`;
      const fake = () => (spec.provider === "anthropic" ? env.anthropic : env.fakes[spec.provider]);
      const assertUpstream = (upstream: RecordedRequest) => {
        const body = upstream.body as Json;
        assert.equal(body.model, spec.model);
        const sent = JSON.stringify(upstream.headers);
        assert.ok(!sent.includes(user.token), "the gateway token never travels upstream");
        if (spec.provider === "anthropic") {
          assert.equal(upstream.path, "/v1/messages");
          assert.equal(upstream.headers["x-api-key"], ANTHROPIC_USER_KEY);
          assert.equal(upstream.headers["anthropic-version"], "2023-06-01");
        } else {
          assert.match(upstream.path, /\/chat\/completions$/);
          assert.equal(upstream.headers.authorization, `Bearer ${spec.keys[spec.provider]}`);
          assert.equal(upstream.headers["x-api-key"], undefined);
        }
      };
      before(async () => {
        user =
          spec.provider === "custom"
            ? await env.user(spec.keys, { baseUrl: env.fakes.custom.baseUrl, model: CUSTOM_MODEL })
            : await env.user(spec.keys);
      });

      test("messages.create", async () => {
        const sent = { model: spec.feature, max_tokens: 256, messages: hello, temperature: 0.5 };
        const { result, upstream, body } = await withOneRequest(fake(), () =>
          user.anthropic.messages.create(sent).withResponse(),
        );
        assert.equal(result.response.headers.get("x-byok-route"), routeHeader);
        const message = result.data;
        assert.equal(message.type, "message");
        assert.equal(message.role, "assistant");
        assert.deepEqual(message.content, [{ type: "text", text: `Hello from ${spec.model}` }]);
        assert.equal(message.stop_reason, "end_turn");
        assert.ok(message.usage.input_tokens > 0 && message.usage.output_tokens > 0);
        assertUpstream(upstream);
        if (spec.provider === "anthropic") {
          assert.deepEqual(body, { ...sent, model: CLAUDE_MODEL }, "passthrough: the body as sent");
        } else {
          assert.equal(body.temperature, 0.5);
          assert.deepEqual(body.messages, [{ role: "user", content: "Say hello" }]);
        }
      });

      test("messages.stream() + finalMessage()", async () => {
        const sent = { model: spec.feature, max_tokens: 256, messages: hello };
        const texts: string[] = [];
        const { result, upstream, body } = await withOneRequest(fake(), async () => {
          const stream = user.anthropic.messages.stream(sent);
          stream.on("text", (text) => texts.push(text));
          const { response } = await stream.withResponse();
          return { response, message: await stream.finalMessage() };
        });
        assert.equal(result.response.headers.get("x-byok-route"), routeHeader);
        assert.ok(texts.length >= 3, `text in pieces (${texts.length})`);
        assert.deepEqual(result.message.content, [{ type: "text", text: `Hello from ${spec.model}` }]);
        assert.equal(result.message.stop_reason, "end_turn");
        assert.ok(result.message.usage.output_tokens > 0);
        assertUpstream(upstream);
        if (spec.provider === "anthropic")
          assert.deepEqual(body, { ...sent, stream: true, model: CLAUDE_MODEL });
        else assert.equal(body.stream, true);
      });

      test("streamed tool use: input_json_delta fragments accumulate into the fake's arguments", async () => {
        const fragments: string[] = [];
        const { result, upstream } = await withOneRequest(fake(), async () => {
          const stream = user.anthropic.messages.stream({
            model: spec.feature,
            max_tokens: 256,
            messages: [{ role: "user", content: "What is the weather?" }],
            tools,
          });
          stream.on("inputJson", (partial) => fragments.push(partial));
          return stream.finalMessage();
        });
        assertUpstream(upstream);
        assert.ok(fragments.filter(Boolean).length >= 6, `arguments in fragments (${fragments.length})`);
        assert.equal(result.stop_reason, "tool_use");
        const uses = result.content.filter((block) => block.type === "tool_use");
        assert.deepEqual(
          uses.map((block) => [block.name, block.input]),
          [
            ["get_weather", { city: "Paris" }],
            ["get_time", { city: "Tokyo" }],
          ],
        );
        assert.ok(uses.every((block) => block.id.length > 0));
        assert.notEqual(uses[0]?.id, uses[1]?.id);
      });

      test("a two-turn tool loop", async () => {
        const ask: Anthropic.MessageParam = { role: "user", content: "Weather in Paris?" };
        const params = { model: spec.feature, max_tokens: 256, tools: [tools[0]!] };
        const { result, requests } = await withRequests(fake(), async () => {
          const first = await user.anthropic.messages.create({ ...params, messages: [ask] });
          assert.equal(first.stop_reason, "tool_use");
          const use = first.content.find((block) => block.type === "tool_use");
          assert.ok(use, "a tool_use block");
          const followUp: Anthropic.MessageParam[] = [
            ask,
            { role: "assistant", content: first.content },
            { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "sunny, 24C" }] },
          ];
          const final = await user.anthropic.messages.create({ ...params, messages: followUp });
          return { use, final };
        });
        assert.equal(requests.length, 2, "two turns");
        assert.deepEqual(result.use.input, { city: "Paris" });
        assert.equal(result.final.stop_reason, "end_turn");
        assert.deepEqual(result.final.content, [{ type: "text", text: spec.afterTool }]);
        for (const request of requests) assertUpstream(request);
        const second = (requests[1]!.body as { messages: Json[] }).messages;
        if (spec.provider === "anthropic") {
          const block = ((second.at(-1)?.content ?? []) as Json[])[0];
          assert.equal(block?.tool_use_id, result.use.id);
        } else {
          const answer = second.find((message) => message.role === "tool");
          assert.equal(answer?.tool_call_id, result.use.id, "the tool message answers the call");
          assert.match(JSON.stringify(answer?.content), /sunny, 24C/);
          const asked = second.find((message) => message.role === "assistant") as {
            tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }>;
          };
          assert.equal(asked.tool_calls?.[0]?.id, result.use.id);
          assert.deepEqual(JSON.parse(asked.tool_calls?.[0]?.function.arguments ?? ""), { city: "Paris" });
        }
      });

      test("raw SSE: an event: line for every data: line, in the grammar's order", async () => {
        for (const withTools of [false, true]) {
          const response = await postRaw(env, "/v1/messages", anthropicHeaders(user), {
            model: spec.feature,
            max_tokens: 256,
            stream: true,
            messages: [{ role: "user", content: "What is the weather?" }],
            ...(withTools ? { tools } : {}),
          });
          assert.equal(response.status, 200, response.text);
          assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
          const dataLines = response.text.split("\n").filter((line) => line.startsWith("data:")).length;
          const eventLines = response.text.split("\n").filter((line) => line.startsWith("event:")).length;
          assert.equal(eventLines, dataLines, "one event: line per data: line");
          assert.doesNotMatch(response.text, /\[DONE\]/);
          const events = sseEvents(response.text);
          assertGrammar(events);
          const stop = events.find((item) => item.event === "message_delta")?.data as {
            delta: { stop_reason: string };
          };
          assert.equal(stop.delta.stop_reason, withTools ? "tool_use" : "end_turn");
        }
      });

      test("usage is recorded: GET /v1/usage shows the requests with tokens", async () => {
        await user.anthropic.messages.create({ model: spec.feature, max_tokens: 64, messages: hello });
        const response = await call(env.gateway, "GET", "/v1/usage", { token: user.token });
        assert.equal(response.status, 200, response.text);
        const report = response.body as {
          usage: {
            byok: { requests: number; input_tokens: number; output_tokens: number };
            by_feature: Array<{ feature: string | null; source: string; requests: number }>;
          };
        };
        // Six calls so far (create, stream, tool stream, two loop turns) plus two raw streams and this one.
        assert.equal(report.usage.byok.requests, 8);
        assert.ok(report.usage.byok.input_tokens > 0 && report.usage.byok.output_tokens > 0);
        const row = report.usage.by_feature.find((item) => item.feature === spec.feature);
        assert.equal(row?.source, "byok");
        assert.equal(row?.requests, 8);
      });
    });
  }

  describe("count_tokens", () => {
    test("answers on the Anthropic route with the route's model and the user's key", async () => {
      const user = await env.user({ anthropic: ANTHROPIC_USER_KEY });
      const { result, upstream, body } = await withOneRequest(env.anthropic, () =>
        user.anthropic.messages.countTokens({ model: "claude", messages: hello }).withResponse(),
      );
      assert.ok(result.data.input_tokens > 0);
      assert.equal(result.response.headers.get("x-byok-route"), `anthropic/${CLAUDE_MODEL}; source=byok`);
      assert.equal(upstream.path, "/v1/messages/count_tokens");
      assert.equal(upstream.headers["x-api-key"], ANTHROPIC_USER_KEY);
      assert.equal(body.model, CLAUDE_MODEL);
    });

    test("on an OpenAI route: a clear 400 count_tokens_unsupported in Anthropic's envelope", async () => {
      const user = await env.user({ openai: OPENAI_USER_KEY });
      const { requests, result } = await withRequests(env.fakes.openai, () =>
        postRaw(env, "/v1/messages/count_tokens", anthropicHeaders(user), { model: "gpt", messages: hello }),
      );
      assert.equal(requests.length, 0, "nothing went upstream");
      assert.equal(result.status, 400);
      const envelope = result.json as {
        type: string;
        error: { type: string; code: string; message: string };
      };
      assert.equal(envelope.type, "error");
      assert.equal(envelope.error.code, "count_tokens_unsupported");
      assert.match(envelope.error.message, /Anthropic routes only/);
      const error = await user.anthropic.messages.countTokens({ model: "gpt", messages: hello }).then(
        () => assert.fail("must be refused"),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof Anthropic.BadRequestError, String(error));
    });
  });
});

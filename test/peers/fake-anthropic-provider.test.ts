/** @module test/peers/fake-anthropic-provider.test
 * Self-test of the fake Anthropic Messages API, driven by the official SDK (0.x, the 2023-06-01 line) and read raw off the wire.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Anthropic from "@anthropic-ai/sdk";
import {
  ANTHROPIC_VERSION,
  type FakeAnthropicProvider,
  startFakeAnthropicProvider,
} from "./fake-anthropic-provider.ts";

const KEY = "sk-ant-test-fake-0123456789";
const MODEL = "claude-fake-1";
const tools: Anthropic.Tool[] = [
  { name: "get_weather", input_schema: { type: "object", properties: { city: { type: "string" } } } },
  { name: "get_time", input_schema: { type: "object", properties: { city: { type: "string" } } } },
];

type Json = Record<string, unknown>;
type SseEvent = { event: string | null; data: Json };

function sdk(fake: FakeAnthropicProvider): Anthropic {
  return new Anthropic({ apiKey: KEY, baseURL: fake.origin, maxRetries: 0 });
}

function headers(extra: Record<string, string | null> = {}): Record<string, string> {
  const all: Record<string, string | null> = {
    "content-type": "application/json",
    "x-api-key": KEY,
    "anthropic-version": ANTHROPIC_VERSION,
    ...extra,
  };
  return Object.fromEntries(
    Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== null),
  );
}

async function post(
  fake: FakeAnthropicProvider,
  path: string,
  body: unknown,
  extraHeaders: Record<string, string | null> = {},
): Promise<Response> {
  return fetch(`${fake.origin}${path}`, {
    method: "POST",
    headers: headers(extraHeaders),
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** Each SSE event as its `event:` name and parsed `data:` JSON. */
function parseSse(text: string): SseEvent[] {
  return text
    .split("\n\n")
    .filter((frame) => frame.trim() !== "")
    .map((frame) => {
      let event: string | null = null;
      const data: string[] = [];
      for (const line of frame.split("\n")) {
        if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
      }
      return { event, data: JSON.parse(data.join("\n")) as Json };
    });
}

async function errorOf(response: Response): Promise<{ status: number; body: Json }> {
  return { status: response.status, body: (await response.json()) as Json };
}

describe("fake Anthropic provider via the official SDK", () => {
  let fake: FakeAnthropicProvider;
  before(async () => {
    fake = await startFakeAnthropicProvider();
  });
  after(() => fake.close());

  test("messages.create: text answer, with the SDK's x-api-key and anthropic-version recorded", async () => {
    const message = await sdk(fake).messages.create({
      model: MODEL,
      max_tokens: 64,
      messages: [{ role: "user", content: "hi" }],
    });
    assert.match(message.id, /^msg_01/);
    assert.equal(message.type, "message");
    assert.equal(message.role, "assistant");
    assert.equal(message.model, MODEL);
    assert.deepEqual(message.content, [{ type: "text", text: `Hello from ${MODEL}` }]);
    assert.equal(message.stop_reason, "end_turn");
    assert.equal(message.stop_sequence, null);
    assert.deepEqual(Object.keys(message.usage).sort(), [
      "cache_creation_input_tokens",
      "cache_read_input_tokens",
      "input_tokens",
      "output_tokens",
    ]);
    assert.equal(message.usage.output_tokens, 3);
    assert.match(message._request_id ?? "", /^req_01/);
    const recorded = fake.requests.at(-1)!;
    assert.equal(recorded.method, "POST");
    assert.equal(recorded.path, "/v1/messages");
    assert.equal(recorded.headers["x-api-key"], KEY);
    assert.equal(recorded.headers["anthropic-version"], ANTHROPIC_VERSION);
    assert.equal(recorded.headers.authorization, undefined);
    assert.equal((recorded.body as Json).max_tokens, 64);
  });

  test("messages.stream() with tools: finalMessage re-assembles text and both tool inputs", async () => {
    const stream = sdk(fake).messages.stream({
      model: MODEL,
      max_tokens: 256,
      tools,
      messages: [{ role: "user", content: "weather and time in Paris and Tokyo?" }],
    });
    const texts: string[] = [];
    const fragments: string[] = [];
    stream.on("text", (delta) => texts.push(delta));
    stream.on("inputJson", (partial) => fragments.push(partial));
    const final = await stream.finalMessage();
    assert.deepEqual(texts, ["Let", " me", " check."]);
    assert.ok(fragments.length >= 8, `arguments split across many events (${fragments.length})`);
    assert.equal(final.stop_reason, "tool_use");
    const [text, weather, time] = final.content;
    assert.deepEqual(text, { type: "text", text: "Let me check." });
    assert.equal(weather?.type, "tool_use");
    assert.equal(time?.type, "tool_use");
    if (weather?.type !== "tool_use" || time?.type !== "tool_use") return;
    assert.equal(weather.name, "get_weather");
    assert.equal(time.name, "get_time");
    assert.deepEqual(weather.input, { city: "Paris" });
    assert.deepEqual(time.input, { city: "Tokyo" });
    assert.match(weather.id, /^toolu_01/);
    assert.notEqual(weather.id, time.id);
    assert.equal(final.usage.output_tokens, 3 + 2 * 8);
  });

  test("a two-turn tool loop: tool_use, then tool_result, then the final text", async () => {
    const client = sdk(fake);
    const question: Anthropic.MessageParam = { role: "user", content: "weather in Paris?" };
    const first = await client.messages.create({
      model: MODEL,
      max_tokens: 128,
      tools: tools.slice(0, 1),
      messages: [question],
    });
    assert.equal(first.stop_reason, "tool_use");
    const uses = first.content.filter((block) => block.type === "tool_use");
    assert.equal(uses.length, 1);
    const second = await client.messages.create({
      model: MODEL,
      max_tokens: 128,
      tools: tools.slice(0, 1),
      messages: [
        question,
        { role: "assistant", content: first.content },
        {
          role: "user",
          content: uses.map((use) => ({
            type: "tool_result" as const,
            tool_use_id: use.id,
            content: "sunny",
          })),
        },
      ],
    });
    assert.equal(second.stop_reason, "end_turn");
    assert.deepEqual(second.content, [{ type: "text", text: "It is sunny." }]);
  });

  test("an `error` event mid-stream surfaces as an APIError, from stream() and from create({stream})", async () => {
    const client = sdk(fake);
    const params = { model: MODEL, max_tokens: 64, messages: [{ role: "user" as const, content: "error" }] };
    const texts: string[] = [];
    const stream = client.messages.stream(params);
    stream.on("text", (delta) => texts.push(delta));
    await assert.rejects(stream.finalMessage(), (error: unknown) => {
      assert.ok(error instanceof Anthropic.APIError);
      assert.equal(error.status, undefined);
      assert.equal(error.type, "overloaded_error");
      assert.deepEqual(error.error, {
        type: "error",
        error: { type: "overloaded_error", message: "Overloaded" },
      });
      return true;
    });
    assert.deepEqual(texts, ["Hello", " from"]);
    const events: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const event of await client.messages.create({ ...params, stream: true }))
          events.push(event.type);
      })(),
      /Overloaded/,
    );
    assert.deepEqual(events, [
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
    ]);
  });

  test("messages.countTokens matches the input_tokens a create reports for the same prompt", async () => {
    const client = sdk(fake);
    const prompt = {
      model: MODEL,
      system: "Be brief.",
      messages: [{ role: "user" as const, content: "hi there" }],
    };
    const counted = await client.messages.countTokens(prompt);
    assert.deepEqual(Object.keys(counted), ["input_tokens"]);
    assert.ok(counted.input_tokens > 0);
    assert.equal(fake.requests.at(-1)!.path, "/v1/messages/count_tokens");
    const message = await client.messages.create({ ...prompt, max_tokens: 16 });
    assert.equal(message.usage.input_tokens, counted.input_tokens);
    const longer = await client.messages.countTokens({
      ...prompt,
      messages: [{ role: "user", content: "hi there ".repeat(50) }],
    });
    assert.ok(longer.input_tokens > counted.input_tokens);
  });

  test("failNext: Anthropic's error envelope, with the received x-api-key echoed", async () => {
    fake.failNext(429, { type: "rate_limit_error", message: "Rate limit for key {{key}}" });
    await assert.rejects(
      sdk(fake).messages.create({ model: MODEL, max_tokens: 8, messages: [{ role: "user", content: "x" }] }),
      (error: unknown) => {
        assert.ok(error instanceof Anthropic.RateLimitError);
        assert.equal(error.status, 429);
        assert.equal(error.type, "rate_limit_error");
        assert.deepEqual(error.error, {
          type: "error",
          error: { type: "rate_limit_error", message: `Rate limit for key ${KEY}` },
        });
        return true;
      },
    );
    const recovered = await sdk(fake).messages.create({
      model: MODEL,
      max_tokens: 8,
      messages: [{ role: "user", content: "x" }],
    });
    assert.equal(recovered.stop_reason, "end_turn");
  });

  test("validation 400s the SDK surfaces as BadRequestError: missing max_tokens, non-alternating turns", async () => {
    const client = sdk(fake);
    const noMaxTokens = {
      model: MODEL,
      messages: [{ role: "user", content: "hi" }],
    } as unknown as Anthropic.MessageCreateParamsNonStreaming;
    await assert.rejects(client.messages.create(noMaxTokens), (error: unknown) => {
      assert.ok(error instanceof Anthropic.BadRequestError);
      assert.equal(error.type, "invalid_request_error");
      assert.deepEqual(error.error, {
        type: "error",
        error: { type: "invalid_request_error", message: "max_tokens: Field required" },
      });
      return true;
    });
    await assert.rejects(
      client.messages.create({
        model: MODEL,
        max_tokens: 8,
        messages: [
          { role: "user", content: "one" },
          { role: "user", content: "two" },
        ],
      }),
      (error: unknown) => {
        assert.ok(error instanceof Anthropic.BadRequestError);
        assert.match(
          error.message,
          /messages\.1: roles must alternate between \\"user\\" and \\"assistant\\", but found multiple \\"user\\" roles in a row/,
        );
        return true;
      },
    );
  });

  test("nextAbortedResponse: an AbortController closing a `hang` stream", async () => {
    const aborted = fake.nextAbortedResponse();
    const controller = new AbortController();
    const stream = sdk(fake).messages.stream(
      { model: MODEL, max_tokens: 64, messages: [{ role: "user", content: "hang" }] },
      { signal: controller.signal },
    );
    const rejected = assert.rejects(stream.finalMessage(), Anthropic.APIUserAbortError);
    const firstText = await new Promise<string>((resolve) => stream.once("text", resolve));
    assert.equal(firstText, "Hello");
    controller.abort();
    await rejected;
    const observed = await aborted;
    assert.equal(observed.eventsWritten, 3, "message_start, content_block_start, one text delta");
    assert.equal((observed.request.body as { messages: Json[] }).messages[0]?.content, "hang");
  });

  test("prompt caching: creation on the first cache_control request, reads after, zeros without", async () => {
    const client = sdk(fake);
    const system: Anthropic.TextBlockParam[] = [
      { type: "text", text: "You are a weather bot.", cache_control: { type: "ephemeral" } },
    ];
    const messages: Anthropic.MessageParam[] = [{ role: "user", content: "hi" }];
    const first = await client.messages.create({ model: MODEL, max_tokens: 8, system, messages });
    assert.ok(first.usage.cache_creation_input_tokens! > 0);
    assert.equal(first.usage.cache_read_input_tokens, 0);
    const second = await client.messages
      .stream({ model: MODEL, max_tokens: 8, system, messages })
      .finalMessage();
    assert.equal(second.usage.cache_creation_input_tokens, 0);
    assert.equal(second.usage.cache_read_input_tokens, first.usage.cache_creation_input_tokens);
    assert.equal(second.usage.input_tokens, first.usage.input_tokens);
    const plain = await client.messages.create({
      model: MODEL,
      max_tokens: 8,
      system: "You are a weather bot.",
      messages,
    });
    assert.equal(plain.usage.cache_creation_input_tokens, 0);
    assert.equal(plain.usage.cache_read_input_tokens, 0);
    const other = await client.messages.create({
      model: MODEL,
      max_tokens: 8,
      system: [{ type: "text", text: "Another system.", cache_control: { type: "ephemeral" } }],
      messages,
    });
    assert.ok(other.usage.cache_creation_input_tokens! > 0);
  });

  test("stop reasons: `max`, a small max_tokens, stop_sequences", async () => {
    const client = sdk(fake);
    const ask = (content: string, extra: Partial<Anthropic.MessageCreateParamsNonStreaming> = {}) =>
      client.messages.create({
        model: MODEL,
        max_tokens: 64,
        messages: [{ role: "user", content }],
        ...extra,
      });
    const max = await ask("max");
    assert.equal(max.stop_reason, "max_tokens");
    const streamedMax = await client.messages
      .stream({ model: MODEL, max_tokens: 64, messages: [{ role: "user", content: "max" }] })
      .finalMessage();
    assert.equal(streamedMax.stop_reason, "max_tokens");
    const short = await ask("hi", { max_tokens: 1 });
    assert.equal(short.stop_reason, "max_tokens");
    assert.deepEqual(short.content, [{ type: "text", text: "Hello" }]);
    assert.equal(short.usage.output_tokens, 1);
    const stopped = await ask("hi", { stop_sequences: ["zzz", " from"] });
    assert.equal(stopped.stop_reason, "stop_sequence");
    assert.equal(stopped.stop_sequence, " from");
    assert.deepEqual(stopped.content, [{ type: "text", text: "Hello" }]);
  });

  test("respondNext replaces only the next request", async () => {
    fake.respondNext((request, res) => {
      res.writeHead(418, { "content-type": "text/plain" });
      res.end(`teapot ${request.path}`);
    });
    const body = { model: MODEL, max_tokens: 8, messages: [{ role: "user", content: "x" }] };
    const first = await post(fake, "/v1/messages", body);
    assert.equal(first.status, 418);
    assert.equal(await first.text(), "teapot /v1/messages");
    assert.equal((await post(fake, "/v1/messages", body)).status, 200);
  });
});

describe("fake Anthropic provider on the wire", () => {
  let fake: FakeAnthropicProvider;
  before(async () => {
    fake = await startFakeAnthropicProvider();
  });
  after(() => fake.close());

  test("stream grammar: every event named, in order, one ping, fragments of ≤ 4 characters", async () => {
    const response = await post(fake, "/v1/messages", {
      model: MODEL,
      max_tokens: 256,
      stream: true,
      tools,
      messages: [{ role: "user", content: "weather?" }],
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
    const events = parseSse(await response.text());
    for (const { event, data } of events) assert.equal(event, data.type);
    const kinds = events.map(({ data }) => {
      const delta = data.delta as Json | undefined;
      const block = data.content_block as Json | undefined;
      if (data.type === "content_block_delta") return `delta:${data.index}:${String(delta?.type)}`;
      if (data.type === "content_block_start") return `start:${data.index}:${String(block?.type)}`;
      if (data.type === "content_block_stop") return `stop:${data.index}`;
      return String(data.type);
    });
    const compact = kinds.filter((kind, i) => kind !== kinds[i - 1]);
    assert.deepEqual(compact, [
      "message_start",
      "start:0:text",
      "ping",
      "delta:0:text_delta",
      "stop:0",
      "start:1:tool_use",
      "delta:1:input_json_delta",
      "stop:1",
      "start:2:tool_use",
      "delta:2:input_json_delta",
      "stop:2",
      "message_delta",
      "message_stop",
    ]);
    assert.equal(kinds.filter((kind) => kind === "ping").length, 1);
    assert.equal(kinds.filter((kind) => kind === "delta:0:text_delta").length, 3);
    const start = events[0]!.data.message as Json;
    assert.deepEqual(start.content, []);
    assert.equal(start.stop_reason, null);
    assert.ok(((start.usage as Json).input_tokens as number) > 0);
    const toolStart = events.find((e) => e.data.type === "content_block_start" && e.data.index === 1)!.data;
    assert.deepEqual(Object.keys(toolStart.content_block as Json), ["type", "id", "name", "input"]);
    assert.deepEqual((toolStart.content_block as Json).input, {});
    const partials = events
      .filter((e) => e.data.index === 1 && (e.data.delta as Json | undefined)?.type === "input_json_delta")
      .map((e) => (e.data.delta as Json).partial_json as string);
    assert.ok(partials.length > 4);
    assert.ok(partials.every((p) => p.length <= 4));
    assert.deepEqual(JSON.parse(partials.join("")), { city: "Paris" });
    const messageDelta = events.at(-2)!.data;
    assert.deepEqual(messageDelta, {
      type: "message_delta",
      delta: { stop_reason: "tool_use", stop_sequence: null },
      usage: { output_tokens: 3 + 2 * 8 },
    });
    assert.deepEqual(events.at(-1)!.data, { type: "message_stop" });
  });

  test("the `error` stream ends with an error event after a few events", async () => {
    const response = await post(fake, "/v1/messages", {
      model: MODEL,
      max_tokens: 64,
      stream: true,
      messages: [{ role: "user", content: "error" }],
    });
    const events = parseSse(await response.text());
    assert.ok(events.length > 2);
    assert.deepEqual(events.at(-1), {
      event: "error",
      data: { type: "error", error: { type: "overloaded_error", message: "Overloaded" } },
    });
    assert.ok(!events.some((e) => e.data.type === "message_stop"));
  });

  test("auth, version, routing and JSON errors use Anthropic's envelope", async () => {
    const body = { model: MODEL, max_tokens: 8, messages: [{ role: "user", content: "x" }] };
    const envelope = (type: string, message: string) => ({ type: "error", error: { type, message } });
    assert.deepEqual(await errorOf(await post(fake, "/v1/messages", body, { "x-api-key": null })), {
      status: 401,
      body: envelope("authentication_error", "x-api-key header is required"),
    });
    // What @anthropic-ai/sdk 1.x sends by default: the key as a bearer token, API version 2026-10-21.
    const bearer = await post(fake, "/v1/messages", body, {
      "x-api-key": null,
      authorization: `Bearer ${KEY}`,
      "anthropic-version": "2026-10-21",
    });
    assert.equal(bearer.status, 401);
    assert.deepEqual(await errorOf(await post(fake, "/v1/messages", body, { "anthropic-version": null })), {
      status: 400,
      body: envelope("invalid_request_error", "anthropic-version: header is required"),
    });
    const newer = await errorOf(
      await post(fake, "/v1/messages", body, { "anthropic-version": "2026-10-21" }),
    );
    assert.equal(newer.status, 400);
    assert.match(JSON.stringify(newer.body), /speaks only/);
    assert.deepEqual(await errorOf(await post(fake, "/v1/complete", body)), {
      status: 404,
      body: envelope("not_found_error", "Not found: POST /v1/complete"),
    });
    const get = await fetch(`${fake.origin}/v1/messages`, { headers: headers() });
    assert.equal(get.status, 404);
    const badJson = await errorOf(await post(fake, "/v1/messages", "{not json"));
    assert.equal(badJson.status, 400);
    assert.equal((badJson.body.error as Json).type, "invalid_request_error");
  });

  const user = (content: unknown) => ({ role: "user", content });
  const assistant = (content: unknown) => ({ role: "assistant", content });
  const toolUse = (id: string) => ({ type: "tool_use", id, name: "get_weather", input: {} });
  const toolResult = (id: string) => ({ type: "tool_result", tool_use_id: id, content: "sunny" });
  const cases: Array<[string, Json, RegExp]> = [
    ["missing model", { model: undefined, messages: [user("x")] }, /^model: Field required$/],
    ["max_tokens 0", { max_tokens: 0, messages: [user("x")] }, /^max_tokens: .*greater than or equal to 1/],
    [
      "starts with assistant",
      { messages: [assistant("x"), user("y")] },
      /first message must use the "user" role/,
    ],
    [
      "system role in messages",
      { messages: [{ role: "system", content: "be brief" }, user("x")] },
      /top-level `system`/,
    ],
    ["OpenAI tool role", { messages: [user("x"), { role: "tool", content: "y" }] }, /^messages\.1\.role:/],
    ["empty messages", { messages: [] }, /at least one message/],
    ["empty content", { messages: [user("")] }, /non-empty content/],
    [
      "empty text block",
      { messages: [user([{ type: "text", text: "" }])] },
      /text content blocks must be non-empty/,
    ],
    [
      "tool_result for an unknown id",
      { messages: [user("x"), assistant([toolUse("toolu_A")]), user([toolResult("toolu_B")])] },
      /^messages\.2\.content\.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_B\./,
    ],
    [
      "tool_result with no tool_use before it",
      { messages: [user("x"), assistant("ok"), user([toolResult("toolu_A")])] },
      /unexpected `tool_use_id`/,
    ],
    [
      "tool_result in the first message",
      { messages: [user([toolResult("toolu_A")])] },
      /unexpected `tool_use_id`/,
    ],
    [
      "a tool_use left unanswered",
      {
        messages: [
          user("x"),
          assistant([toolUse("toolu_A"), toolUse("toolu_B")]),
          user([toolResult("toolu_A")]),
        ],
      },
      /^messages\.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_B\./,
    ],
    [
      "OpenAI stream_options",
      { stream_options: { include_usage: true }, messages: [user("x")] },
      /^stream_options: Extra inputs/,
    ],
    ["OpenAI stop", { stop: ["x"], messages: [user("x")] }, /^stop: Extra inputs/],
    ["temperature 1.5", { temperature: 1.5, messages: [user("x")] }, /^temperature: range: 0\.\.1$/],
    [
      "OpenAI-style tool",
      { tools: [{ type: "function", function: { name: "f", parameters: {} } }], messages: [user("x")] },
      /^tools\.0\.type: .*OpenAI-style/,
    ],
    [
      "tool without input_schema",
      { tools: [{ name: "f" }], messages: [user("x")] },
      /^tools\.0\.input_schema: Field required$/,
    ],
    ["tool_choice as a string", { tool_choice: "auto", messages: [user("x")] }, /^tool_choice: /],
    ["system as an object", { system: { text: "x" }, messages: [user("x")] }, /^system: /],
  ];
  for (const [label, extra, expected] of cases) {
    test(`400 invalid_request_error: ${label}`, async () => {
      const response = await post(fake, "/v1/messages", { model: MODEL, max_tokens: 8, ...extra });
      const { status, body } = await errorOf(response);
      assert.equal(status, 400);
      assert.equal(body.type, "error");
      const error = body.error as { type: string; message: string };
      assert.equal(error.type, "invalid_request_error");
      assert.match(error.message, expected);
    });
  }

  test("accepted: a final assistant prefill, server tools, tool_choice objects, count_tokens without max_tokens", async () => {
    const ok = await post(fake, "/v1/messages", {
      model: MODEL,
      max_tokens: 8,
      tools: [...tools, { type: "web_search_20250305", name: "web_search" }],
      tool_choice: { type: "tool", name: "get_weather" },
      messages: [user("x"), assistant("")],
    });
    assert.equal(ok.status, 200);
    const counted = await post(fake, "/v1/messages/count_tokens", { model: MODEL, messages: [user("x")] });
    assert.equal(counted.status, 200);
    const { input_tokens } = (await counted.json()) as { input_tokens: number };
    assert.ok(Number.isInteger(input_tokens) && input_tokens > 0);
    const invalid = await post(fake, "/v1/messages/count_tokens", {
      model: MODEL,
      messages: [assistant("x")],
    });
    assert.equal(invalid.status, 400);
  });
});

describe("fake Anthropic provider options and SDK quirks", () => {
  test("requireVersionHeader: false accepts a request without anthropic-version", async () => {
    const fake = await startFakeAnthropicProvider({ requireVersionHeader: false });
    try {
      const response = await post(
        fake,
        "/v1/messages",
        { model: MODEL, max_tokens: 8, messages: [{ role: "user", content: "x" }] },
        { "anthropic-version": null },
      );
      assert.equal(response.status, 200);
      assert.equal(fake.requests[0]!.headers["anthropic-version"], undefined);
    } finally {
      await fake.close();
    }
  });

  test("the SDK silently drops SSE frames without an `event:` line", async () => {
    const fake = await startFakeAnthropicProvider();
    try {
      fake.respondNext(async (_request, res) => {
        const upstream = await post(fake, "/v1/messages", {
          model: MODEL,
          max_tokens: 8,
          stream: true,
          messages: [{ role: "user", content: "hi" }],
        });
        const frames = (await upstream.text()).split("\n\n").filter(Boolean);
        res.writeHead(200, { "content-type": "text/event-stream" });
        for (const frame of frames)
          res.write(`${frame.split("\n").filter((l) => l.startsWith("data: "))[0]}\n\n`);
        res.end();
      });
      await assert.rejects(
        sdk(fake)
          .messages.stream({ model: MODEL, max_tokens: 8, messages: [{ role: "user", content: "hi" }] })
          .finalMessage(),
        /request ended without sending any chunks/,
      );
    } finally {
      await fake.close();
    }
  });

  test("the SDK partial-parses truncated tool input instead of failing: a cut-off string is dropped", async () => {
    const fake = await startFakeAnthropicProvider();
    try {
      fake.respondNext((_request, res) => {
        const message = {
          id: "msg_01X",
          type: "message",
          role: "assistant",
          model: MODEL,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 1, output_tokens: 1 },
        };
        const events: Json[] = [{ type: "message_start", message }];
        ['{"city":"Paris"', '{"city":"To'].forEach((partial_json, index) => {
          const content_block = { type: "tool_use", id: `toolu_01X${index}`, name: "get_weather", input: {} };
          events.push({ type: "content_block_start", index, content_block });
          events.push({
            type: "content_block_delta",
            index,
            delta: { type: "input_json_delta", partial_json },
          });
          events.push({ type: "content_block_stop", index });
        });
        events.push({
          type: "message_delta",
          delta: { stop_reason: "tool_use", stop_sequence: null },
          usage: { output_tokens: 5 },
        });
        events.push({ type: "message_stop" });
        res.writeHead(200, { "content-type": "text/event-stream" });
        for (const event of events) {
          res.write(`event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`);
        }
        res.end();
      });
      const final = await sdk(fake)
        .messages.stream({ model: MODEL, max_tokens: 8, tools, messages: [{ role: "user", content: "x" }] })
        .finalMessage();
      const inputs = final.content.map((block) => (block.type === "tool_use" ? block.input : null));
      assert.deepEqual(inputs, [{ city: "Paris" }, {}]);
    } finally {
      await fake.close();
    }
  });
});

/**
 * @module test/peers/fake-openai-provider.test
 * Self-test of the fake OpenAI-compatible provider, driven by the official SDK and checked against OpenAI's schema.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
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
  FAKE_MODELS,
  type FakeProvider,
  fakeEmbedding,
  startFakeOpenAiProvider,
} from "./fake-openai-provider.ts";

const KEY = "sk-test-fake-0123456789";
const tools = [
  {
    type: "function" as const,
    function: { name: "get_weather", parameters: { type: "object", properties: {} } },
  },
  {
    type: "function" as const,
    function: { name: "get_time", parameters: { type: "object", properties: {} } },
  },
];

type Json = Record<string, unknown>;

async function post(
  fake: FakeProvider,
  path: string,
  body: unknown,
  key: string | null = KEY,
): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  return fetch(`${fake.baseUrl}${path}`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

function sdk(fake: FakeProvider): OpenAI {
  return new OpenAI({ apiKey: KEY, baseURL: fake.baseUrl, maxRetries: 0 });
}

describe("fake provider via the openai SDK", () => {
  let fake: FakeProvider;
  before(async () => {
    fake = await startFakeOpenAiProvider();
  });
  after(() => fake.close());

  test("non-stream completion, with the bearer key recorded", async () => {
    const completion = await sdk(fake).chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "hi" }],
    });
    assert.equal(completion.choices[0]?.message.content, "Hello from gpt-4o-mini");
    assert.equal(completion.choices[0]?.finish_reason, "stop");
    const recorded = fake.requests.at(-1)!;
    assert.equal(recorded.method, "POST");
    assert.equal(recorded.path, "/v1/chat/completions");
    assert.equal(recorded.headers.authorization, `Bearer ${KEY}`);
    assert.equal((recorded.body as Json).model, "gpt-4o-mini");
  });

  test("stream with include_usage: role chunk, one chunk per word, finish, usage chunk", async () => {
    const stream = await sdk(fake).chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "chunks:5" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    for (const chunk of chunks) assertValidChatCompletionChunk(chunk);
    assert.equal(chunks.length, 1 + 5 + 1 + 1);
    assert.deepEqual(chunks[0]?.choices[0]?.delta, { role: "assistant", content: "", refusal: null });
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    assert.equal(text, "w1 w2 w3 w4 w5");
    assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, "stop");
    assert.deepEqual(chunks.at(-1)?.choices, []);
    assert.equal(chunks.at(-1)?.usage?.completion_tokens, 5);
    assert.ok(chunks.slice(0, -1).every((c) => c.usage === null));
  });

  test("chat.completions.stream() with tools re-assembles parallel calls", async () => {
    const runner = sdk(fake).chat.completions.stream({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "weather and time?" }],
      tools,
    });
    const final = await runner.finalChatCompletion();
    const choice = final.choices[0]!;
    assert.equal(choice.finish_reason, "tool_calls");
    const calls = (choice.message.tool_calls ?? []).map((call) => {
      assert.equal(call.type, "function");
      return call.type === "function" ? call : assert.fail("not a function call");
    });
    assert.deepEqual(
      calls.map((c) => c.function.name),
      ["get_weather", "get_time"],
    );
    assert.deepEqual(JSON.parse(calls[0]!.function.arguments), { city: "Paris" });
    assert.deepEqual(JSON.parse(calls[1]!.function.arguments), { city: "Tokyo" });
    assert.match(calls[0]!.id, /^call_\d+$/);
    assert.notEqual(calls[0]!.id, calls[1]!.id);
  });

  test("a tool result as last message gets a text answer", async () => {
    const completion = await sdk(fake).chat.completions.create({
      model: "gpt-4o-mini",
      tools,
      messages: [
        { role: "user", content: "weather?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "get_weather", arguments: "{}" } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: "sunny" },
      ],
    });
    assert.equal(completion.choices[0]?.message.content, "Hello from gpt-4o-mini");
  });

  test("embeddings: the SDK default asks base64 and decodes; float is answered as floats", async () => {
    const client = sdk(fake);
    const decoded = await client.embeddings.create({ model: "text-embedding-3-small", input: ["a", "b c"] });
    assert.equal((fake.requests.at(-1)!.body as Json).encoding_format, "base64");
    assert.deepEqual(
      decoded.data.map((d) => d.embedding),
      [fakeEmbedding(0), fakeEmbedding(1)],
    );
    assert.deepEqual(decoded.usage, { prompt_tokens: 3, total_tokens: 3 });
    const floats = await client.embeddings.create({
      model: "text-embedding-3-small",
      input: "a",
      encoding_format: "float",
    });
    assert.deepEqual(floats.data[0]?.embedding, fakeEmbedding(0));
  });

  test("models", async () => {
    const page = await sdk(fake).models.list();
    assert.deepEqual(
      page.data.map((m) => m.id),
      [...FAKE_MODELS],
    );
  });

  test("failNext echoes the received key into the message", async () => {
    fake.failNext(429, {
      message: "Rate limit for key {{key}}",
      type: "rate_limit_error",
      code: "rate_limit_exceeded",
    });
    await assert.rejects(
      sdk(fake).chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }] }),
      (error: unknown) => {
        assert.ok(error instanceof OpenAI.APIError);
        assert.equal(error.status, 429);
        assert.match(error.message, new RegExp(`Rate limit for key ${KEY}`));
        return true;
      },
    );
    fake.failNext(500, { message: "boom {{key}}" });
    const response = await post(fake, "/chat/completions", { model: "m", messages: [] });
    const body = (await response.json()) as Json;
    assertValidErrorResponse(body);
    assert.deepEqual(body, {
      error: { message: `boom ${KEY}`, type: "invalid_request_error", param: null, code: null },
    });
  });

  test("respondNext replaces only the next request", async () => {
    fake.respondNext((request, res) => {
      res.writeHead(418, { "content-type": "text/plain" });
      res.end(`teapot ${request.path}`);
    });
    const first = await post(fake, "/chat/completions", {
      model: "m",
      messages: [{ role: "user", content: "x" }],
    });
    assert.equal(first.status, 418);
    assert.equal(await first.text(), "teapot /v1/chat/completions");
    const second = await post(fake, "/chat/completions", {
      model: "m",
      messages: [{ role: "user", content: "x" }],
    });
    assert.equal(second.status, 200);
  });

  test("nextAbortedResponse observes a client disconnect mid-stream", async () => {
    const aborted = fake.nextAbortedResponse();
    const controller = new AbortController();
    const response = await fetch(`${fake.baseUrl}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "m", stream: true, messages: [{ role: "user", content: "hang" }] }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (sseDataPayloads(text).length < 2) {
      const { value, done } = await reader.read();
      assert.equal(done, false);
      text += decoder.decode(value, { stream: true });
    }
    assert.equal((parseSseData(text)[1] as { choices: [{ delta: Json }] }).choices[0].delta.content, "Hello");
    controller.abort();
    const observed = await aborted;
    assert.equal(observed.chunksWritten, 2);
    assert.equal((observed.request.body as { messages: Json[] }).messages[0]?.content, "hang");
  });
});

describe("fake provider wire output against OpenAI's schema", () => {
  let fake: FakeProvider;
  before(async () => {
    fake = await startFakeOpenAiProvider();
  });
  after(() => fake.close());

  test("non-stream completions, text and tool calls", async () => {
    for (const extra of [{}, { tools }]) {
      const response = await post(fake, "/chat/completions", {
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: "hi" }],
        ...extra,
      });
      assert.equal(response.status, 200);
      assertValidChatCompletion(await response.json());
    }
  });

  for (const [label, extra] of [
    ["text with include_usage", { stream_options: { include_usage: true } }],
    ["text without usage", {}],
    ["tool calls with include_usage", { tools, stream_options: { include_usage: true } }],
  ] as const) {
    test(`stream: ${label}`, async () => {
      const response = await post(fake, "/chat/completions", {
        model: "gpt-4o-mini",
        stream: true,
        messages: [{ role: "user", content: "hi there" }],
        ...extra,
      });
      assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
      const text = await response.text();
      assert.equal(sseDoneCount(text), 1);
      assert.equal(sseDataPayloads(text).at(-1), "[DONE]");
      const chunks = parseSseData(text) as Json[];
      for (const chunk of chunks) assertValidChatCompletionChunk(chunk);
      const usageChunks = chunks.filter((c) => Array.isArray(c.choices) && c.choices.length === 0);
      assert.equal(usageChunks.length, "stream_options" in extra ? 1 : 0);
      if ("tools" in extra) {
        const fragments = chunks.filter((c) => JSON.stringify(c).includes('"arguments"'));
        assert.ok(fragments.length > 4, "arguments are split across many chunks");
      }
    });
  }

  test("embeddings, float and base64", async () => {
    for (const encoding_format of ["float", "base64"]) {
      const response = await post(fake, "/embeddings", { model: "e", input: ["x", "y"], encoding_format });
      const body = (await response.json()) as { data: Array<{ embedding: unknown }> };
      assertValidEmbeddingResponse(body);
      assert.equal(typeof body.data[0]?.embedding, encoding_format === "float" ? "object" : "string");
    }
  });

  test("models and errors", async () => {
    const models = await fetch(`${fake.baseUrl}/models`, { headers: { authorization: `Bearer ${KEY}` } });
    assertValidModelList(await models.json());
    const missingKey = await post(fake, "/chat/completions", { model: "m", messages: [] }, null);
    assert.equal(missingKey.status, 401);
    const unauthorized = (await missingKey.json()) as { error: Json };
    assertValidErrorResponse(unauthorized);
    assert.equal(unauthorized.error.code, "invalid_api_key");
    const emptyKey = await post(fake, "/chat/completions", { model: "m", messages: [] }, "");
    assert.equal(emptyKey.status, 401);
    const badJson = await post(fake, "/chat/completions", "{not json");
    assert.equal(badJson.status, 400);
    assertValidErrorResponse(await badJson.json());
    const unknown = await post(fake, "/completions", { prompt: "x" });
    assert.equal(unknown.status, 404);
    assertValidErrorResponse(await unknown.json());
  });
});

describe("fake provider options", () => {
  test("prefix: gemini's /v1beta/openai", async () => {
    const fake = await startFakeOpenAiProvider({ prefix: "/v1beta/openai" });
    try {
      assert.equal(fake.baseUrl, `${fake.origin}/v1beta/openai`);
      const completion = await sdk(fake).chat.completions.create({
        model: "gemini-2.5-flash",
        messages: [{ role: "user", content: "hi" }],
      });
      assert.equal(completion.choices[0]?.message.content, "Hello from gemini-2.5-flash");
      assert.equal(fake.requests[0]?.path, "/v1beta/openai/chat/completions");
      const wrongPrefix = await fetch(`${fake.origin}/v1/models`, {
        headers: { authorization: `Bearer ${KEY}` },
      });
      assert.equal(wrongPrefix.status, 404);
    } finally {
      await fake.close();
    }
  });

  test("lenient: output the SDK accepts but OpenAI's schema rejects", async () => {
    const fake = await startFakeOpenAiProvider({ lenient: true });
    try {
      const completion = await post(fake, "/chat/completions", {
        model: "m",
        messages: [{ role: "user", content: "x" }],
      });
      const lenientBody = await completion.json();
      assert.throws(() => assertValidChatCompletion(lenientBody), /required property 'logprobs'/);
      assert.throws(() => assertValidChatCompletion(lenientBody), /required property 'refusal'/);
      const stream = await post(fake, "/chat/completions", {
        model: "m",
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: "user", content: "x" }],
      });
      const chunks = parseSseData(await stream.text()) as Json[];
      assert.ok(chunks.slice(0, -1).every((c) => !("usage" in c)));
      assert.ok(chunks.at(-1)?.usage);
      const error = (await (await post(fake, "/chat/completions", {}, null)).json()) as { error: Json };
      assert.equal(error.error.code, 401);
      assert.throws(() => assertValidErrorResponse(error), /\/error\/code must be string/);
    } finally {
      await fake.close();
    }
  });

  test("base64Embeddings: false answers floats, which the SDK's default path then mis-decodes", async () => {
    const fake = await startFakeOpenAiProvider({ base64Embeddings: false });
    try {
      const decoded = await sdk(fake).embeddings.create({ model: "e", input: "a" });
      assert.equal((fake.requests[0]!.body as Json).encoding_format, "base64");
      assert.notDeepEqual(decoded.data[0]?.embedding, fakeEmbedding(0));
    } finally {
      await fake.close();
    }
  });

  test("streamUsage: false ignores include_usage", async () => {
    const fake = await startFakeOpenAiProvider({ streamUsage: false });
    try {
      const response = await post(fake, "/chat/completions", {
        model: "m",
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: "user", content: "x" }],
      });
      const chunks = parseSseData(await response.text()) as Json[];
      assert.ok(chunks.every((c) => Array.isArray(c.choices) && c.choices.length === 1 && !("usage" in c)));
    } finally {
      await fake.close();
    }
  });
});

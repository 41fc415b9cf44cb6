/**
 * @module test/library/ai-sdk-stream-parts
 * The SSE → AI SDK stream-part mapping (`createChatStreamParts`) over recorded OpenAI streams, and seeded,
 * time-bounded properties: any split of the bytes (LF or CRLF line ends) gives the same parts; hostile
 * bytes never throw out of the stream, which always ends with one `finish`; bounds hold.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import type { LanguageModelV4StreamPart } from "@ai-sdk/provider";
import { APICallError } from "@ai-sdk/provider";
import fc from "fast-check";
import {
  type ChatStreamPartsOptions,
  createChatStreamParts,
} from "../../src/library/ai-sdk/create-chat-stream-parts.ts";

const SEED = 1507;
const TARGET = { url: "/v1/chat/completions", requestBody: {} };
const FIXTURES = [
  "text-cache-usage",
  "parallel-tools",
  "text-then-tool",
  "length",
  "error-midway",
  "empty-arguments-tool",
];
const recorded = (name: string) => readFileSync(new URL(`../fixtures/openai/${name}.sse`, import.meta.url));

async function partsOf(
  chunks: readonly Uint8Array[],
  options: Partial<ChatStreamPartsOptions> = {},
): Promise<LanguageModelV4StreamPart[]> {
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  const parts: LanguageModelV4StreamPart[] = [];
  for await (const part of source.pipeThrough(
    createChatStreamParts({ warnings: [], target: TARGET, ...options }),
  )) {
    parts.push(part);
  }
  return parts;
}

function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const point of points) {
    pieces.push(bytes.subarray(from, point));
    from = point;
  }
  pieces.push(bytes.subarray(from));
  return pieces;
}

const finishOf = (parts: readonly LanguageModelV4StreamPart[]) => {
  const last = parts.at(-1);
  assert.equal(last?.type, "finish");
  return last as Extract<LanguageModelV4StreamPart, { type: "finish" }>;
};

test("a recorded text stream: metadata, one text block with ids, usage with cached input", async () => {
  const parts = await partsOf([recorded("text-cache-usage")]);
  assert.deepEqual(parts[0], { type: "stream-start", warnings: [] });
  assert.equal(parts[1]!.type, "response-metadata");
  const texts = parts.filter((part) => part.type === "text-delta");
  assert.ok(texts.length > 1);
  assert.ok(texts.every((part) => part.id === "text-0"));
  assert.equal(parts.filter((part) => part.type === "text-start").length, 1);
  assert.equal(parts.filter((part) => part.type === "text-end").length, 1);
  const finish = finishOf(parts);
  assert.equal(finish.finishReason.unified, "stop");
  assert.ok((finish.usage.inputTokens.cacheRead ?? 0) > 0, "cached tokens read");
  assert.ok((finish.usage.outputTokens.total ?? 0) > 0);
});

test("recorded parallel tool calls: each streamed by its own id, then whole, finish tool-calls", async () => {
  const parts = await partsOf([recorded("parallel-tools")]);
  const calls = parts.filter((part) => part.type === "tool-call");
  assert.deepEqual(
    calls.map((call) => [call.toolCallId, call.toolName]),
    [
      ["call_A", "get_weather"],
      ["call_B", "get_time"],
      ["call_C", "get_weather"],
    ],
  );
  for (const call of calls) assert.doesNotThrow(() => JSON.parse(call.input));
  const deltas = parts.filter((part) => part.type === "tool-input-delta" && part.id === "call_A");
  assert.equal(deltas.map((part) => (part as { delta: string }).delta).join(""), calls[0]!.input);
  assert.equal(finishOf(parts).finishReason.unified, "tool-calls");
});

test("a tool call with empty arguments gets `{}`; a cut-off answer finishes `length`", async () => {
  const empty = await partsOf([recorded("empty-arguments-tool")]);
  const call = empty.find((part) => part.type === "tool-call");
  assert.equal(call?.type === "tool-call" && call.input, "{}");
  assert.equal(finishOf(await partsOf([recorded("length")])).finishReason.unified, "length");
});

test("an error event mid-stream is one error part (an APICallError with the type), then finish `error`", async () => {
  const parts = await partsOf([recorded("error-midway")]);
  const errors = parts.filter((part) => part.type === "error");
  assert.equal(errors.length, 1);
  const error = (errors[0] as { error: unknown }).error;
  assert.ok(APICallError.isInstance(error));
  assert.equal((error.data as { type: string }).type, "server_error");
  assert.equal(finishOf(parts).finishReason.unified, "error");
  // A gateway error type maps to its status.
  const quota = await partsOf([
    Buffer.from('data: {"error":{"message":"over","type":"quota_exceeded","param":null,"code":null}}\n\n'),
  ]);
  const refused = quota.find((part) => part.type === "error") as { error: APICallError };
  assert.equal(refused.error.statusCode, 402);
  assert.equal(refused.error.isRetryable, false);
});

test("a stream that ends without a finish reason finishes `interrupted`", async () => {
  const parts = await partsOf([
    Buffer.from('data: {"id":"x","choices":[{"index":0,"delta":{"content":"Hel"}}]}\n\n'),
  ]);
  assert.equal(finishOf(parts).finishReason.unified, "interrupted");
});

test("bounds: a tool call's input past the cap, too many calls", async () => {
  const big = `data: ${JSON.stringify({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: "c", function: { name: "f", arguments: "x".repeat(100) } }] } }] })}\n\n`;
  const capped = await partsOf([Buffer.from(big)], { maxToolInputChars: 50 });
  assert.equal(capped.filter((part) => part.type === "error").length, 1);
  assert.equal(capped.filter((part) => part.type === "tool-call").length, 0);
  const many = Array.from(
    { length: 5 },
    (_, index) =>
      `data: ${JSON.stringify({ choices: [{ index: 0, delta: { tool_calls: [{ index, id: `c${index}`, function: { name: "f", arguments: "{}" } }] } }] })}\n\n`,
  ).join("");
  const tooMany = await partsOf([Buffer.from(many)], { maxToolCalls: 3 });
  assert.equal(tooMany.filter((part) => part.type === "tool-input-start").length, 3);
  assert.equal(tooMany.filter((part) => part.type === "error").length, 1);
});

test("property: any split of a recorded stream (LF or CRLF) gives the same parts", async () => {
  const whole = new Map<string, LanguageModelV4StreamPart[]>();
  for (const name of FIXTURES) whole.set(name, await partsOf([recorded(name)]));
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...FIXTURES),
      fc.boolean(),
      fc.array(fc.nat(), { maxLength: 40 }),
      async (name, crlf, cuts) => {
        const text = recorded(name).toString("utf8");
        const bytes = Buffer.from(crlf ? text.replaceAll("\n", "\r\n") : text);
        assert.deepEqual(await partsOf(split(bytes, cuts)), whole.get(name));
      },
    ),
    { seed: SEED, numRuns: 200, interruptAfterTimeLimit: 20_000, markInterruptAsFailure: true },
  );
});

const hostileEvent = fc.oneof(
  fc.string({ maxLength: 30 }).map((text) => `data: ${text}\n\n`),
  fc.jsonValue({ maxDepth: 3 }).map((value) => `data: ${JSON.stringify(value)}\n\n`),
  fc
    .record({
      index: fc.oneof(fc.integer({ min: -2, max: 3 }), fc.constant("x")),
      id: fc.option(fc.string({ maxLength: 5 })),
      name: fc.option(fc.string({ maxLength: 5 })),
      arguments: fc.option(fc.string({ maxLength: 8 })),
      content: fc.option(fc.oneof(fc.string({ maxLength: 8 }), fc.integer())),
      finish: fc.option(fc.constantFrom("stop", "length", "tool_calls", 7)),
    })
    .map(
      (chunk) =>
        `data: ${JSON.stringify({
          choices: [
            {
              index: 0,
              delta: {
                content: chunk.content,
                tool_calls: [
                  {
                    index: chunk.index,
                    id: chunk.id,
                    function: { name: chunk.name, arguments: chunk.arguments },
                  },
                ],
              },
              finish_reason: chunk.finish,
            },
          ],
        })}\n\n`,
    ),
  fc.constantFrom("data: [DONE]\n\n", ": comment\n\n", "event: x\n", "\r\n", 'data: {"error":{}}\n\n'),
  fc.uint8Array({ maxLength: 16 }).map((bytes) => Buffer.from(bytes).toString("latin1")),
);

test("property: hostile streams never throw out, end with one finish, and report at most one error", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(hostileEvent, { maxLength: 25 }),
      fc.array(fc.nat(), { maxLength: 20 }),
      async (events, cuts) => {
        const parts = await partsOf(split(Buffer.from(events.join(""), "latin1"), cuts), {
          maxToolInputChars: 64,
          maxToolCalls: 4,
        });
        finishOf(parts);
        assert.equal(parts.filter((part) => part.type === "finish").length, 1);
        assert.ok(parts.filter((part) => part.type === "error").length <= 1);
        const starts = parts.filter((part) => part.type === "tool-input-start");
        assert.ok(starts.length <= 4);
        for (const part of parts) {
          if (part.type === "tool-call") assert.equal(typeof part.toolName, "string");
        }
      },
    ),
    { seed: SEED, numRuns: 300, interruptAfterTimeLimit: 20_000, markInterruptAsFailure: true },
  );
});

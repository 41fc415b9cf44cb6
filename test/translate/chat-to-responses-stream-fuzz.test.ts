/**
 * @module test/translate/chat-to-responses-stream-fuzz.test
 * A seeded, time-bounded property test of the chat → Responses stream translator: arbitrary sequences of
 * chat chunks (text, refusals, tool calls at shifting indexes and ids, usage, finish, errors, garbage,
 * comments) cut at arbitrary byte boundaries, ended cleanly or by an upstream failure. Asserted: no throw,
 * the same stream chunked differently gives the same events, every event validates against OpenAI's
 * `ResponseStreamEvent` schema with its `event:` line and sequence numbers 0, 1, 2, …, `response.created`
 * first and exactly one terminal event last, each done event repeating its deltas, and OpenAI's own SDK
 * accumulating the events without an error.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { accumulateResponse } from "openai/lib/responses/ResponseAccumulator";
import type { ResponseStreamEvent } from "openai/resources/responses/responses";
import { GatewayError } from "../../src/errors/gateway-error.ts";
import { createChatToResponsesStream } from "../../src/translate/chat-chunks-to-responses-events.ts";
import { assertFailedEnd, assertValidResponsesStream } from "../support/openai-schema.ts";

const SEED = 1414;
const TERMINAL = new Set(["response.completed", "response.incomplete", "response.failed"]);

const chunk = (choice: Record<string, unknown> | null, extra: Record<string, unknown> = {}) =>
  `data: ${JSON.stringify({
    id: "chatcmpl-f",
    object: "chat.completion.chunk",
    created: 1,
    model: "m",
    choices: choice === null ? [] : [{ index: 0, finish_reason: null, ...choice }],
    ...extra,
  })}\n\n`;

const text = fc.string({ maxLength: 10, unit: "grapheme" });

const event: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: text.map((content) => chunk({ delta: { content } })) },
  { weight: 1, arbitrary: text.map((refusal) => chunk({ delta: { refusal } })) },
  {
    weight: 4,
    arbitrary: fc
      .record({
        index: fc.nat({ max: 2 }),
        id: fc.option(fc.constantFrom("call_a", "call_b", "call_c", ""), { nil: undefined }),
        name: fc.option(fc.constantFrom("get_weather", "lookup"), { nil: undefined }),
        args: fc.option(text, { nil: undefined }),
      })
      .map(({ index, id, name, args }) =>
        chunk({
          delta: {
            tool_calls: [
              {
                index,
                ...(id === undefined ? {} : { id, type: "function" }),
                function: {
                  ...(name === undefined ? {} : { name }),
                  ...(args === undefined ? {} : { arguments: args }),
                },
              },
            ],
          },
        }),
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom("stop", "length", "tool_calls", "content_filter")
      .map((reason) => chunk({ delta: {}, finish_reason: reason })),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.nat({ max: 500 }), fc.nat({ max: 500 })).map(([prompt, completion]) =>
      chunk(null, {
        usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
      }),
    ),
  },
  { weight: 1, arbitrary: fc.constant("data: [DONE]\n\n") },
  { weight: 1, arbitrary: fc.constant(": keep-alive\n\n") },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      `data: ${JSON.stringify({ error: { message: "overloaded", type: "server_error" } })}\n\n`,
      'data: {"id":"x","choices":{"bad":1}}\n\n',
      "data: not json\n\n",
      "data: 42\n\n",
      "oops: line\n\n",
      'event: error\ndata: {"message":"boom"}\n\n',
    ),
  },
);

const scenario = fc.record({
  events: fc.array(event, { maxLength: 24 }),
  cutSeeds: fc.array(fc.nat(), { maxLength: 12 }),
  failure: fc.boolean(),
});

function split(bytes: Buffer, seeds: readonly number[]): Buffer[] {
  const cuts = [...new Set(seeds.map((seed) => (bytes.length === 0 ? 0 : seed % bytes.length)))].sort(
    (a, b) => a - b,
  );
  const chunks: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut > from) chunks.push(bytes.subarray(from, cut));
    from = cut;
  }
  return chunks;
}

function translate(chunks: readonly Buffer[], failure: boolean): string {
  const translator = createChatToResponsesStream({
    context: {
      id: "resp_fuzz",
      createdAt: 1_700_000_000,
      model: "agent",
      request: { model: "agent", input: "x" },
    },
    now: () => 1_700_000_001,
  });
  let out = "";
  for (const piece of chunks) out += translator.push(piece).join("");
  out += translator
    .end(failure ? new GatewayError("upstream_timeout", { code: "body_timeout" }) : undefined)
    .join("");
  return out;
}

/** Each `.done` event repeats the concatenation of its deltas. */
function assertDonesRepeatDeltas(events: readonly Record<string, unknown>[]): void {
  const deltas = new Map<string, string>();
  const key = (event: Record<string, unknown>) =>
    `${String(event.item_id)}/${String(event.content_index ?? "")}`;
  for (const event of events) {
    switch (event.type) {
      case "response.output_text.delta":
      case "response.refusal.delta":
      case "response.function_call_arguments.delta":
        deltas.set(key(event), (deltas.get(key(event)) ?? "") + String(event.delta));
        break;
      case "response.output_text.done":
        assert.equal(event.text, deltas.get(key(event)) ?? "");
        break;
      case "response.refusal.done":
        assert.equal(event.refusal, deltas.get(key(event)) ?? "");
        break;
      case "response.function_call_arguments.done":
        assert.equal(event.arguments, deltas.get(key(event)) ?? "");
        break;
      default:
    }
  }
}

test(`fuzz: chat chunks → Responses events (seeded ${SEED}): no throw, chunk-invariant, valid, ordered, SDK-readable`, () => {
  fc.assert(
    fc.property(scenario, ({ events, cutSeeds, failure }) => {
      const bytes = Buffer.from(events.join(""));
      const whole = translate([bytes], failure);
      assert.equal(translate(split(bytes, cutSeeds), failure), whole, "the same stream chunked differently");
      const parsed = assertValidResponsesStream(whole);
      assert.equal(parsed[0]?.type, "response.created");
      assert.equal(parsed[1]?.type, "response.in_progress");
      const terminal = parsed.filter((item) => TERMINAL.has(String(item.type)));
      assert.equal(terminal.length, 1, "exactly one terminal event");
      assert.equal(parsed.at(-1), terminal[0], "the terminal event is last");
      if (terminal[0]?.type === "response.failed") assertFailedEnd(parsed);
      else
        assert.ok(!parsed.some((item) => item.type === "error"), "an error event only ends a failed stream");
      assertDonesRepeatDeltas(parsed);
      let snapshot: ReturnType<typeof accumulateResponse> | undefined;
      for (const item of parsed)
        snapshot = accumulateResponse(item as unknown as ResponseStreamEvent, snapshot);
    }),
    { seed: SEED, numRuns: 120, interruptAfterTimeLimit: 30_000, markInterruptAsFailure: true },
  );
});

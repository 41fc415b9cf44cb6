/**
 * @module test/translate/openai-to-anthropic-tools-fuzz
 * A seeded, time-bounded property test of OpenAI tool calls translated to Anthropic events: calls whose
 * fragments interleave in any order, with text before them, always give a valid stream (one open block
 * at a time, deltas only to the open block) whose calls carry exactly the arguments the upstream sent.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { createOpenAiToAnthropicStream } from "../../src/translate/openai-to-anthropic-stream.ts";
import { assertAnthropicStream } from "./assert-anthropic-stream.ts";

const SEED = 20261208;

const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: "chatcmpl-f", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

/** 1–4 calls, each cut in 1–4 fragments; the fragments of all calls merged in an arbitrary order that keeps each call's own order. */
const scenario = fc
  .record({
    text: fc.option(fc.string({ minLength: 1, maxLength: 8 }), { nil: null }),
    calls: fc.array(fc.array(fc.string({ maxLength: 6 }), { minLength: 1, maxLength: 4 }), {
      minLength: 1,
      maxLength: 4,
    }),
    order: fc.array(fc.nat(), { minLength: 16, maxLength: 16 }),
  })
  .map(({ text, calls, order }) => {
    const next = calls.map(() => 0);
    const sequence: [number, string][] = [];
    let step = 0;
    while (next.some((at, index) => at < calls[index]!.length)) {
      const open = next.flatMap((at, index) => (at < calls[index]!.length ? [index] : []));
      // A call's first fragment only after the previous call has started (OpenAI numbers calls as they start).
      const startable = open.filter((index) => next[index]! > 0 || index === 0 || next[index - 1]! > 0);
      const pick = startable[order[step++ % order.length]! % startable.length]!;
      sequence.push([pick, calls[pick]![next[pick]!]!]);
      next[pick]! += 1;
    }
    return { text, calls, sequence };
  });

test(`fuzz: interleaved tool calls → Anthropic events (seeded ${SEED}): valid, every call's arguments whole`, () => {
  fc.assert(
    fc.property(scenario, ({ text, calls, sequence }) => {
      const started = new Set<number>();
      const events = [chunk({ role: "assistant" }), ...(text === null ? [] : [chunk({ content: text })])];
      for (const [index, args] of sequence) {
        const first = !started.has(index);
        started.add(index);
        const call = {
          index,
          ...(first ? { id: `call_${index}`, type: "function" } : {}),
          function: { ...(first ? { name: `tool${index}` } : {}), arguments: args },
        };
        events.push(chunk({ tool_calls: [call] }));
      }
      events.push(chunk({}, "tool_calls"), "data: [DONE]\n\n");
      const stream = createOpenAiToAnthropicStream();
      const out = [...events.flatMap((event) => stream.push(event)), ...stream.end()].join("");
      const summary = assertAnthropicStream(out);
      assert.equal(summary.error, null);
      assert.equal(summary.stopReason, "tool_use");
      assert.deepEqual(
        summary.toolCalls.map((call) => [call.id, call.input]),
        calls.map((fragments, index) => [`call_${index}`, fragments.join("")]),
      );
    }),
    { seed: SEED, numRuns: 300, interruptAfterTimeLimit: 20_000, markInterruptAsFailure: true },
  );
});

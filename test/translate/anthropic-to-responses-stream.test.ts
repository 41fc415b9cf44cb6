/**
 * @module test/translate/anthropic-to-responses-stream
 * The composed Anthropic → Responses stream translator over the recorded Anthropic streams, seeded and
 * time-bounded: however the stream is cut, the output is the same; every event validates against the
 * published ResponseStreamEvent schema, numbered from 0; it ends with exactly one terminal event
 * (`response.completed` / `response.incomplete`, or one `error` for a stream that failed), usage reported once.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { createAnthropicToResponsesStream } from "../../src/translate/anthropic-to-responses-stream.ts";
import type { ResponsesContext } from "../../src/translate/responses-context.ts";
import { assertFailedEnd, assertMatchesSchema, parseSseData } from "../support/openai-schema.ts";
import { anthropicStreamFixtures, readFixture } from "./stream-fixtures.ts";

const SEED = 1415;
const context: ResponsesContext = {
  id: "resp_fixture",
  createdAt: 1_700_000_000,
  model: "claude",
  request: { model: "claude", input: "hi" },
};

function run(chunks: readonly string[]) {
  const usages: Array<{ complete: boolean }> = [];
  const translator = createAnthropicToResponsesStream({
    context,
    model: "claude-fake",
    now: () => 1_700_000_001,
    onUsage: (_usage, complete) => usages.push({ complete }),
  });
  const out: string[] = [];
  for (const chunk of chunks) out.push(...translator.push(chunk));
  out.push(...translator.end());
  return { text: out.join(""), usages, failure: translator.failure?.() ?? null };
}

function split(text: string, cuts: readonly number[]): string[] {
  const chunks: string[] = [];
  let from = 0;
  for (const cut of [...cuts, text.length]) {
    if (cut > from) chunks.push(text.slice(from, cut));
    from = cut;
  }
  return chunks;
}

for (const fixture of anthropicStreamFixtures) {
  test(`property (seeded ${SEED}): ${fixture.name} cut anywhere → the same valid Responses events`, () => {
    const source = readFixture(fixture);
    const whole = run([source]);
    const events = parseSseData(whole.text) as Array<Record<string, unknown>>;
    events.forEach((event, index) => {
      assertMatchesSchema("ResponseStreamEvent", event);
      assert.equal(event.sequence_number, index);
    });
    const terminal = events.filter((event) =>
      ["response.completed", "response.incomplete", "response.failed"].includes(String(event.type)),
    );
    assert.equal(terminal.length, 1, "exactly one terminal event");
    assert.equal(terminal[0], events.at(-1));
    if (fixture.expect.error === null) {
      assert.equal(whole.failure, null);
      const response = terminal[0]?.response as { output_text?: unknown; usage?: { output_tokens: number } };
      assert.equal(response.usage?.output_tokens, fixture.expect.usage.output);
    } else {
      const { error } = assertFailedEnd(events);
      assert.equal(error.code, fixture.expect.error.code);
      assert.ok(whole.failure !== null);
    }
    assert.equal(whole.usages.length, 1, "usage reported once");
    fc.assert(
      fc.property(fc.array(fc.nat({ max: source.length }), { maxLength: 24 }), (seeds) => {
        const cuts = [...new Set(seeds)].sort((a, b) => a - b);
        assert.equal(run(split(source, cuts)).text, whole.text);
      }),
      { seed: SEED, numRuns: 100, interruptAfterTimeLimit: 20_000, markInterruptAsFailure: true },
    );
  });
}

/**
 * @module test/translate/conformance-kit
 * The reusable stream conformance suite: replays a recorded upstream stream through a translator (event by
 * event as recorded, byte by byte, and in two pieces split at every byte) and asserts the translated stream
 * chunk by chunk against the fixture's expectation. Any translator of either direction can run it.
 */
import assert from "node:assert/strict";
import type { StreamTranslator } from "../../src/translate/stream-translator.ts";
import { assertAnthropicStream } from "./assert-anthropic-stream.ts";
import { assertOpenAiStream } from "./assert-openai-stream.ts";
import { readFixture, type StreamFixture, splitEvents } from "./stream-fixtures.ts";

export {
  anthropicStreamFixtures,
  type ExpectedStream,
  openAiStreamFixtures,
  readFixture,
  type StreamFixture,
} from "./stream-fixtures.ts";

/** `events`: one push per recorded event; `bytes`: one byte per push; `halves`: two pushes, split at every byte. */
export type Replay = "events" | "bytes" | "halves";

export interface ConformanceOptions {
  /** OpenAI output: the client asked for `stream_options.include_usage` (the translator was made so). */
  readonly includeUsage?: boolean;
  readonly replays?: readonly Replay[];
  readonly newline?: "\n" | "\r\n" | "\r";
}

export interface ConformanceReport {
  /** The translated stream (event-by-event replay). */
  readonly text: string;
  /** What each push answered in the event-by-event replay (the last entry is `end()`). */
  readonly perPush: readonly string[][];
}

function run(translate: () => StreamTranslator, pieces: readonly (string | Uint8Array)[]): string[][] {
  const translator = translate();
  const outputs = pieces.map((piece) => translator.push(piece));
  outputs.push(translator.end());
  return outputs;
}

const joined = (outputs: readonly string[][]): string => outputs.map((out) => out.join("")).join("");

/** Output follows input: the first event answers at once, each text delta answers its own text, `end()` adds nothing. */
function assertIncremental(
  fixture: StreamFixture,
  events: readonly string[],
  perPush: readonly string[][],
): void {
  assert.ok((perPush[0] ?? []).length > 0, `${fixture.name}: the first upstream event is answered at once`);
  assert.deepEqual(perPush.at(-1), [], `${fixture.name}: everything was sent before the upstream ended`);
  events.forEach((event, index) => {
    const fragment = /"(?:text_delta","text|content)":"((?:[^"\\]|\\.)+)"/.exec(event)?.[1];
    if (fragment === undefined) return;
    const text = JSON.parse(`"${fragment}"`) as string;
    const answered = (perPush[index] ?? []).join("");
    assert.ok(
      answered.includes(JSON.stringify(text).slice(1, -1)),
      `${fixture.name}: event ${index}'s text left at once`,
    );
  });
}

function assertExpected(fixture: StreamFixture, text: string, includeUsage: boolean): void {
  const { expect } = fixture;
  const label = fixture.name;
  if (fixture.source === "anthropic") {
    const stream = assertOpenAiStream(text, { includeUsage });
    assert.equal(stream.text, expect.text, `${label}: content`);
    assert.equal(stream.reasoning, expect.reasoning ?? "", `${label}: reasoning_content`);
    assert.equal(stream.finishReason, expect.stop, `${label}: finish_reason`);
    assert.deepEqual(
      stream.toolCalls.map((call) => ({
        id: call.id,
        name: call.name,
        arguments: JSON.parse(call.arguments),
      })),
      expect.toolCalls,
      `${label}: tool calls`,
    );
    if (expect.error !== null) assert.equal(stream.error?.code, expect.error.code, `${label}: error code`);
    else assert.equal(stream.error, null, `${label}: no error`);
    if (includeUsage && expect.error === null) {
      const { input, output, cacheRead, cacheWrite } = expect.usage;
      assert.deepEqual(
        stream.usage,
        {
          prompt_tokens: input,
          completion_tokens: output,
          total_tokens: input + output,
          prompt_tokens_details: { cached_tokens: cacheRead, cache_write_tokens: cacheWrite },
        },
        `${label}: usage chunk`,
      );
    }
    return;
  }
  const stream = assertAnthropicStream(text);
  assert.equal(stream.text, expect.text, `${label}: text`);
  assert.equal(stream.stopReason, expect.stop, `${label}: stop_reason`);
  assert.deepEqual(
    stream.toolCalls.map((call) => ({
      id: call.id,
      name: call.name,
      arguments: JSON.parse(call.input === "" ? "{}" : call.input),
    })),
    expect.toolCalls,
    `${label}: tool_use blocks`,
  );
  if (expect.error !== null) assert.equal(stream.error?.code, expect.error.code, `${label}: error code`);
  else {
    assert.equal(stream.error, null, `${label}: no error`);
    const { input, output, cacheRead, cacheWrite } = expect.usage;
    assert.deepEqual(
      stream.usage,
      {
        input_tokens: input - cacheRead - cacheWrite,
        output_tokens: output,
        cache_creation_input_tokens: cacheWrite,
        cache_read_input_tokens: cacheRead,
      },
      `${label}: message_delta usage`,
    );
  }
}

/**
 * Replays `fixture` through fresh translators from `translate` and asserts the result. `translate` must be
 * deterministic (pass a fixed `created`), since every replay must produce the same text.
 */
export function runStreamConformance(
  fixture: StreamFixture,
  translate: () => StreamTranslator,
  options: ConformanceOptions = {},
): ConformanceReport {
  const newline = options.newline ?? "\n";
  const whole = readFixture(fixture, newline);
  const events = splitEvents(whole, newline);
  assert.equal(events.join(""), whole, `${fixture.name}: the fixture splits into events`);
  const perPush = run(translate, events);
  const text = joined(perPush);
  assertExpected(fixture, text, options.includeUsage ?? false);
  assertIncremental(fixture, events, perPush);

  const bytes = Buffer.from(whole);
  for (const replay of options.replays ?? ["events", "bytes"]) {
    if (replay === "bytes") {
      const pieces = [...bytes].map((_, at) => bytes.subarray(at, at + 1));
      assert.equal(joined(run(translate, pieces)), text, `${fixture.name}: byte-by-byte replay`);
    } else if (replay === "halves") {
      for (let at = 1; at < bytes.length; at++) {
        const pieces = [bytes.subarray(0, at), bytes.subarray(at)];
        assert.equal(joined(run(translate, pieces)), text, `${fixture.name}: split at byte ${at}`);
      }
    }
  }
  return { text, perPush };
}

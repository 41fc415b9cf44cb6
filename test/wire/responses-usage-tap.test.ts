/**
 * @module test/wire/responses-usage-tap
 * The Responses API usage tap, seeded and time-bounded: a conforming stream cut anywhere comes out byte
 * for byte with its usage read once and its delta text counted; a key quoted by an `error` or
 * `response.failed` event (plainly or behind a JSON escape) never leaves; an unreadable or oversized
 * event ends the stream with one spec-shaped `error` event numbered after the last one relayed.
 */
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { test } from "node:test";
import fc from "fast-check";
import { createKeyQuoteCheck } from "../../src/keys/create-key-quote-check.ts";
import { redactSecrets } from "../../src/keys/redact-secrets.ts";
import { SecretKey } from "../../src/keys/secret-key.ts";
import type { RelayTransform } from "../../src/wire/create-relay-transform.ts";
import { createResponsesUsageTap } from "../../src/wire/openai/create-responses-usage-tap.ts";
import type { TokenUsage } from "../../src/wire/openai/openai-usage.ts";
import { encodeResponsesErrorEvent } from "../../src/wire/openai/responses-error-event.ts";
import { encodeResponsesEvent, fakeResponses } from "../peers/fake-responses-api.ts";

const SEED = 1414;
const CANARY = "sk-canary-responses-0123456789ABCDEFwxyz";
const CAP = 8192;
const secrets = [new SecretKey(CANARY)];
const redact = (text: string) => redactSecrets(text, secrets);

interface Run {
  readonly output: Buffer;
  readonly usages: TokenUsage[];
  readonly textBytes: number;
}

async function run(chunks: readonly Buffer[], maxEventBytes = CAP): Promise<Run> {
  const usages: TokenUsage[] = [];
  let textBytes = 0;
  const tap: RelayTransform = createResponsesUsageTap({
    onUsage: (usage) => usages.push(usage),
    onText: (bytes) => {
      textBytes += bytes;
    },
    redact,
    quotesKey: createKeyQuoteCheck(secrets),
    failureEvent: encodeResponsesErrorEvent,
    maxEventBytes,
  });
  const out: Buffer[] = [];
  const errors: unknown[] = [];
  tap.on("data", (piece: Buffer | string) => out.push(Buffer.from(piece)));
  tap.on("error", (error) => errors.push(error));
  const ended = new Promise((resolve) => tap.once("end", resolve));
  Readable.from(chunks.map((chunk) => Buffer.from(chunk))).pipe(tap);
  await ended;
  assert.deepEqual(errors, [], "no stream error escaped");
  return { output: Buffer.concat(out), usages, textBytes };
}

function split(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut > from) chunks.push(bytes.subarray(from, cut));
    from = cut;
  }
  return chunks;
}

const cutsOf = (bytes: Buffer, seeds: readonly number[]) =>
  [...new Set(seeds.map((seed) => (bytes.length === 0 ? 0 : seed % bytes.length)))].sort((a, b) => a - b);

/** A conforming stream: the fake provider's events for a random request (text, or function calls). */
const conforming = fc
  .record({
    words: fc.array(fc.string({ minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 6 }),
    model: fc.string({ minLength: 1, maxLength: 12 }),
    tools: fc.nat({ max: 2 }),
    newline: fc.constantFrom("\n", "\r\n"),
    cutSeeds: fc.array(fc.nat(), { maxLength: 24 }),
  })
  .map(({ words, model, tools, newline, cutSeeds }) => {
    const body = {
      model,
      input: [{ role: "user", content: words.join(" ") }],
      tools: Array.from({ length: tools }, (_, index) => ({
        type: "function",
        name: `tool_${index}`,
        parameters: { type: "object" },
      })),
    };
    const answer = fakeResponses(body, 1, "sk-not-in-play");
    const bytes = Buffer.from(answer.events.map(encodeResponsesEvent).join("").replaceAll("\n", newline));
    const deltas = answer.events
      .filter((event) => typeof event.delta === "string")
      .reduce((sum, event) => sum + JSON.stringify(event.delta).length - 2, 0);
    return {
      bytes,
      cuts: cutsOf(bytes, cutSeeds),
      usage: answer.response.usage as Record<string, number>,
      deltas,
    };
  });

test(`property (seeded ${SEED}): a conforming stream cut anywhere comes out byte for byte, usage read once`, async () => {
  await fc.assert(
    fc.asyncProperty(conforming, async ({ bytes, cuts, usage, deltas }) => {
      const result = await run(split(bytes, cuts));
      assert.ok(result.output.equals(bytes), "output bytes identical to the input");
      assert.deepEqual(result.usages, [
        { inputTokens: usage.input_tokens, outputTokens: usage.output_tokens, cachedInputTokens: 0 },
      ]);
      assert.equal(result.textBytes, deltas, "delta text counted once, `…done` events not counted");
    }),
    { seed: SEED, numRuns: 200, interruptAfterTimeLimit: 30_000, markInterruptAsFailure: true },
  );
});

/** The canary with its character at `index` as a JSON `\uXXXX` escape. */
const escapeAt = (index: number) =>
  `${CANARY.slice(0, index)}\\u${CANARY.charCodeAt(index).toString(16).padStart(4, "0")}${CANARY.slice(index + 1)}`;
const decodeJsonEscapes = (text: string) =>
  text.replace(/\\u([0-9a-fA-F]{4})/g, (_match, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );

const delta = (text: string, sequence: number) =>
  `event: response.output_text.delta\ndata: ${JSON.stringify({ type: "response.output_text.delta", item_id: "m", output_index: 0, content_index: 0, delta: text, logprobs: [], sequence_number: sequence })}\n\n`;

/** Adversarial events: valid deltas, key-quoting errors (plain or escaped), unreadable and oversized ones. */
const adversarial = fc
  .record({
    events: fc.array(
      fc.oneof(
        { weight: 5, arbitrary: fc.string({ maxLength: 10 }).map((text) => delta(text, 1)) },
        {
          weight: 1,
          arbitrary: fc.constant(
            `event: error\ndata: ${JSON.stringify({ type: "error", code: "server_error", message: `bad key ${CANARY}`, param: null, sequence_number: 2 })}\n\n`,
          ),
        },
        {
          weight: 1,
          arbitrary: fc
            .nat({ max: CANARY.length - 1 })
            .map(
              (at) =>
                `event: response.failed\ndata: {"type":"response.failed","sequence_number":3,"response":{"id":"r","object":"response","status":"failed","error":{"code":"server_error","message":"${escapeAt(at)}"},"usage":{"input_tokens":1,"output_tokens":1}}}\n\n`,
            ),
        },
        {
          weight: 1,
          arbitrary: fc.constant(`event: response.output_text.delta\ndata: {"note":"${CANARY}"\n\n`),
        },
        { weight: 1, arbitrary: fc.constant(`data: {"x":"${"k".repeat(CAP)}${CANARY}"}\n\n`) },
      ),
      { maxLength: 10 },
    ),
    cutSeeds: fc.array(fc.nat(), { maxLength: 16 }),
  })
  .map(({ events, cutSeeds }) => {
    const bytes = Buffer.from(events.join(""));
    return { bytes, cuts: cutsOf(bytes, cutSeeds) };
  });

test(`fuzz (seeded ${SEED}): chunk-invariant, framed, capped, no key leaves, usage read once, from the first terminal event`, async () => {
  await fc.assert(
    fc.asyncProperty(adversarial, async ({ bytes, cuts }) => {
      const whole = await run([bytes]);
      const pieces = await run(split(bytes, cuts));
      assert.ok(
        pieces.output.equals(whole.output),
        "the same stream chunked differently gives the same output",
      );
      const text = whole.output.toString("utf8");
      assert.equal(text.includes(CANARY), false, `canary in ${text}`);
      assert.equal(decodeJsonEscapes(text).includes(CANARY), false, `escaped canary in ${text}`);
      assert.equal(text.includes("k".repeat(CAP)), false, "none of an oversized event leaves");
      const terminals = text.match(/^event: response\.failed$/gm)?.length ?? 0;
      // The first terminal event's usage is the call's; one after it cannot change the charge.
      assert.equal(
        whole.usages.length,
        Math.min(terminals, 1),
        "usage read once, from the first terminal event",
      );
      for (const block of text.split("\n\n").filter(Boolean)) {
        const data = block.split("\n").find((line) => line.startsWith("data: "));
        assert.ok(data !== undefined, block);
        assert.doesNotThrow(() => JSON.parse(data.slice(6)), data);
      }
    }),
    { seed: SEED, numRuns: 200, interruptAfterTimeLimit: 30_000, markInterruptAsFailure: true },
  );
});

test("an unreadable event ends the stream with one error event numbered after the last relayed", async () => {
  const good = delta("Hi", 7);
  const result = await run([
    Buffer.from(`${good}event: response.output_text.delta\ndata: {nope\n\n${delta("x", 9)}`),
  ]);
  const text = result.output.toString();
  assert.ok(text.startsWith(good));
  const blocks = text.split("\n\n").filter(Boolean);
  assert.equal(blocks.length, 2);
  const [name, data] = (blocks[1] as string).split("\n");
  assert.equal(name, "event: error");
  const event = JSON.parse((data as string).slice(6)) as Record<string, unknown>;
  assert.equal(event.type, "error");
  assert.equal(event.code, "invalid_upstream_event");
  assert.equal(event.sequence_number, 8);
  assert.equal(typeof event.message, "string");
  assert.equal(event.param, null);
  assert.deepEqual((event.error as Record<string, unknown>).type, "upstream_error");
});

test("usage of response.incomplete and response.failed is read; a cached-token count is kept", async () => {
  for (const type of ["response.incomplete", "response.failed"]) {
    const usage = { input_tokens: 11, input_tokens_details: { cached_tokens: 4 }, output_tokens: 5 };
    const event = `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: 0, response: { id: "r", object: "response", status: type.slice(9), error: null, usage } })}\n\n`;
    const result = await run([Buffer.from(event)]);
    assert.equal(result.output.toString(), event);
    assert.deepEqual(result.usages, [{ inputTokens: 11, outputTokens: 5, cachedInputTokens: 4 }]);
  }
});

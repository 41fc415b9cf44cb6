/**
 * @module test/wire/stream-fuzz
 * Adversarial byte streams through every SSE tap (chat, messages, Responses) and translator (issue 12),
 * seeded and time-bounded: valid events mixed with error events quoting a canary key, unreadable and
 * oversized events, invalid UTF-8, LF/CR/CRLF line ends and an unterminated tail, cut at random boundaries. Asserted: nothing
 * escapes as a throw or a stream error, the same stream chunked differently gives the same output, every
 * output event parses (JSON data or `[DONE]`), no event over the cap is relayed, and no canary leaves, as
 * sent, JSON-escaped or masked (the taps also get canaries hidden behind `\uXXXX` escapes or outside error
 * fields, masked in a conforming chunk's content), and events that end in `}` but are no JSON never pass.
 * The normalizing Anthropic tap keeps the message order: one `message_start` first, nothing after `message_stop`.
 * Runs of blank lines and comments (some quoting a canary) and floods past the data-less bound are mixed in.
 */
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { test } from "node:test";
import fc from "fast-check";
import type { GatewayError } from "../../src/errors/gateway-error.ts";
import { createKeyQuoteCheck, mayQuoteKeyIn } from "../../src/keys/create-key-quote-check.ts";
import { redactSecrets } from "../../src/keys/redact-secrets.ts";
import { SecretKey } from "../../src/keys/secret-key.ts";
import { createAnthropicToOpenAiStream } from "../../src/translate/anthropic-to-openai-stream.ts";
import { createChatToResponsesStream } from "../../src/translate/chat-chunks-to-responses-events.ts";
import { createTranslateTransform } from "../../src/translate/create-translate-transform.ts";
import { createOpenAiToAnthropicStream } from "../../src/translate/openai-to-anthropic-stream.ts";
import { describeStreamFailure } from "../../src/translate/stream-failure.ts";
import { toAnthropicErrorBody } from "../../src/wire/anthropic/anthropic-error-body.ts";
import { createAnthropicUsageTap } from "../../src/wire/anthropic/create-anthropic-usage-tap.ts";
import { encodeSseEvent } from "../../src/wire/anthropic/encode-sse-event.ts";
import type { RelayTransform } from "../../src/wire/create-relay-transform.ts";
import { createResponsesUsageTap } from "../../src/wire/openai/create-responses-usage-tap.ts";
import { createUsageTap } from "../../src/wire/openai/create-usage-tap.ts";
import { toOpenAiErrorBody } from "../../src/wire/openai/openai-error-body.ts";
import { encodeResponsesErrorEvent } from "../../src/wire/openai/responses-error-event.ts";
import { MAX_DATALESS_EVENTS } from "../../src/wire/openai/sse-dataless-run.ts";
import {
  BAD_UTF8,
  CANARY,
  type Dialect,
  decodeJsonEscapes,
  ERROR,
  HIDDEN,
  HUGE,
  INVALID,
  MASKED,
  TAP_CAP,
  VALID,
} from "../support/stream-fuzz-events.ts";

const SEED = 1207;
const secrets = [new SecretKey(CANARY)];
const redact = (text: string) => redactSecrets(text, secrets);
const quotesKey = createKeyQuoteCheck(secrets);

/**
 * Runs of events without data (blank lines, keep-alive comments, comments quoting a canary, `id` lines), and
 * now and then a flood of blank lines one past the data-less bound (the stream then ends there).
 */
const DATALESS = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.array(
      fc.constantFrom(
        "\n",
        ":\n\n",
        ": keep-alive\n\n",
        `: bad key ${CANARY}\n\n`,
        `:${MASKED[0]}\n\n`,
        "id: 7\n\n",
      ),
      { minLength: 1, maxLength: 24 },
    ),
  },
  { weight: 1, arbitrary: fc.constant(["\n".repeat(MAX_DATALESS_EVENTS + 1)]) },
);

const openAiFailure = (failure: GatewayError) => `data: ${JSON.stringify(toOpenAiErrorBody(failure))}\n\n`;
const anthropicFailure = (failure: GatewayError) =>
  encodeSseEvent(JSON.stringify(toAnthropicErrorBody(failure)), "error");

interface Scenario {
  readonly bytes: Buffer;
  /** Cut points (sorted offsets) for a second run. */
  readonly cuts: number[];
}

function scenario(
  dialect: Dialect,
  canaryPlaces: ReadonlyArray<"message" | "type" | "code">,
  huge: boolean,
  hidden: boolean,
) {
  const event = fc.oneof(
    ...(hidden ? [{ weight: 2, arbitrary: HIDDEN[dialect] }] : []),
    { weight: 6, arbitrary: VALID[dialect] },
    { weight: 1, arbitrary: fc.constantFrom(...canaryPlaces).map(ERROR[dialect]) },
    { weight: 1, arbitrary: fc.constantFrom(...INVALID[dialect]) },
    { weight: 1, arbitrary: fc.constant(BAD_UTF8[dialect]) },
    { weight: 2, arbitrary: DATALESS },
    ...(huge ? [{ weight: 1, arbitrary: fc.constant(HUGE) }] : []),
  );
  return fc
    .record({
      events: fc.array(event, { maxLength: 12 }),
      newline: fc.constantFrom("\n", "\r", "\r\n"),
      tail: fc.constantFrom("", 'data: {"id":"c","cho', "data: [DONE]", `data: {"x":"${CANARY}`),
      cutSeeds: fc.array(fc.nat(), { maxLength: 16 }),
    })
    .map(({ events, newline, tail, cutSeeds }): Scenario => {
      const pieces = [...events.flat(), tail].map((piece) =>
        typeof piece === "string" ? Buffer.from(piece.replaceAll("\n", newline)) : piece,
      );
      const bytes = Buffer.concat(pieces);
      const cuts = [...new Set(cutSeeds.map((seed) => (bytes.length === 0 ? 0 : seed % bytes.length)))].sort(
        (a, b) => a - b,
      );
      return { bytes, cuts };
    });
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

async function through(transform: RelayTransform, chunks: readonly Buffer[]): Promise<string> {
  const errors: unknown[] = [];
  const out: Buffer[] = [];
  transform.on("error", (error) => errors.push(error));
  transform.on("data", (piece: Buffer | string) => out.push(Buffer.from(piece)));
  const ended = new Promise((resolve) => transform.once("end", resolve));
  Readable.from(chunks.map((chunk) => Buffer.from(chunk))).pipe(transform);
  await ended;
  assert.deepEqual(errors, [], "no stream error escaped");
  return Buffer.concat(out).toString("utf8");
}

/** One `message_start` before any typed event but pings and errors, no typed event after `message_stop`. */
function assertMessageOrder(output: string): void {
  let phase: "before" | "started" | "stopped" = "before";
  for (const block of output.replace(/\r\n|\r/g, "\n").split(/\n\n/)) {
    const type = /^data: \{"type":"([a-z_]+)"/m.exec(block)?.[1];
    if (type === undefined || type === "ping" || type === "error") continue;
    assert.notEqual(phase, "stopped", `${type} after message_stop`);
    assert.equal(type === "message_start", phase === "before", `${type} in phase ${phase}`);
    phase = type === "message_stop" ? "stopped" : "started";
  }
}

/** Every output event: comment or known field lines, data JSON or `[DONE]`, none over `cap` bytes. */
function assertFraming(output: string, cap: number): void {
  const normalized = output.replace(/\r\n|\r/g, "\n");
  assert.ok(
    normalized === "" || normalized.endsWith("\n\n"),
    `unterminated output: ${JSON.stringify(output.slice(-80))}`,
  );
  for (const block of normalized.split(/\n\n/)) {
    if (block === "") continue;
    assert.ok(Buffer.byteLength(block) <= cap, "an event over the cap was relayed");
    let data: string | null = null;
    for (const line of block.split("\n")) {
      if (line === "" || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon === -1 ? line : line.slice(0, colon);
      assert.ok(
        ["data", "event", "id", "retry"].includes(field),
        `not an SSE field: ${JSON.stringify(line)}`,
      );
      if (field === "data") {
        const value = line.slice(colon + 1).replace(/^ /, "");
        data = data === null ? value : `${data}\n${value}`;
      }
    }
    if (data !== null && data !== "[DONE]") assert.doesNotThrow(() => JSON.parse(data as string), data);
  }
}

const TARGETS: ReadonlyArray<{
  readonly name: string;
  readonly dialect: Dialect;
  readonly create: () => RelayTransform;
  /** Where a canary may sit in an upstream error and must still never leave. */
  readonly canaryPlaces: ReadonlyArray<"message" | "type" | "code">;
  readonly huge: boolean;
  /** Whether canaries hidden from byte searches are injected (the pass-through taps' parsed redaction). */
  readonly hidden: boolean;
  /** Whether the output keeps Anthropic's message-level order (the normalizing tap). */
  readonly ordered?: boolean;
}> = [
  {
    name: "the OpenAI usage tap",
    dialect: "openai",
    create: () =>
      createUsageTap({
        stripUsageChunk: true,
        onUsage: () => {},
        onText: () => {},
        redact,
        quotesKey,
        failureEvent: openAiFailure,
        maxEventBytes: TAP_CAP,
      }),
    canaryPlaces: ["message", "type", "code"],
    huge: true,
    hidden: true,
  },
  {
    name: "the Anthropic usage tap",
    dialect: "anthropic",
    create: () =>
      createAnthropicUsageTap({
        onUsage: () => {},
        redact,
        quotesKey,
        failureEvent: anthropicFailure,
        maxEventBytes: TAP_CAP,
      }),
    canaryPlaces: ["message", "type"],
    huge: true,
    hidden: true,
  },
  {
    name: "the Responses usage tap",
    dialect: "responses",
    create: () =>
      createResponsesUsageTap({
        onUsage: () => {},
        onText: () => {},
        redact,
        quotesKey,
        failureEvent: encodeResponsesErrorEvent,
        maxEventBytes: TAP_CAP,
      }),
    canaryPlaces: ["message", "code"],
    huge: true,
    hidden: true,
  },
  // The same taps normalizing, as the pipeline runs them: a repaired event is redacted too (issue 14).
  {
    name: "the OpenAI usage tap, normalizing",
    dialect: "openai",
    create: () => {
      let ids = 0;
      return createUsageTap({
        stripUsageChunk: true,
        onUsage: () => {},
        onText: () => {},
        redact,
        quotesKey,
        failureEvent: openAiFailure,
        maxEventBytes: TAP_CAP,
        normalize: { fallbackModel: "m", createId: (prefix) => `${prefix}${++ids}`, now: () => 0 },
      });
    },
    canaryPlaces: ["message", "type", "code"],
    huge: true,
    hidden: true,
  },
  {
    name: "the Anthropic usage tap, normalizing",
    dialect: "anthropic",
    create: () =>
      createAnthropicUsageTap({
        onUsage: () => {},
        redact,
        quotesKey,
        failureEvent: anthropicFailure,
        maxEventBytes: TAP_CAP,
        normalize: { fallbackModel: "m", createId: () => "msg_fuzz" },
      }),
    canaryPlaces: ["message", "type"],
    huge: true,
    hidden: true,
    ordered: true,
  },
  // The translators keep the provider's message out by default; the provider's type/code in their error
  // event is finding 2 (another branch), so the canary sits in the message here.
  {
    name: "the OpenAI → Anthropic translator",
    dialect: "openai",
    create: () => createTranslateTransform(createOpenAiToAnthropicStream({ model: "m" }), anthropicFailure),
    canaryPlaces: ["message"],
    huge: false,
    hidden: false,
  },
  {
    name: "the Anthropic → OpenAI translator",
    dialect: "anthropic",
    create: () =>
      createTranslateTransform(
        createAnthropicToOpenAiStream({ includeUsage: true, created: 1 }),
        openAiFailure,
      ),
    canaryPlaces: ["message"],
    huge: false,
    hidden: false,
  },
  // Wired as pipeline/serve-responses.ts wires it: the provider's message kept, keys redacted, and
  // translated events that may quote a key redacted by the transform.
  {
    name: "the chat → Responses translator",
    dialect: "openai",
    create: () => {
      const translator = createChatToResponsesStream({
        context: { id: "resp_fuzz", createdAt: 1, model: "m", request: { model: "m", input: "x" } },
        describeFailure: (failure) => describeStreamFailure(failure, { provider: "custom", redact }),
        now: () => 1,
      });
      return createTranslateTransform(translator, (failure) => translator.errorEvent(failure), {
        quotesKey: (text) => mayQuoteKeyIn(text, secrets),
        redact,
      });
    },
    canaryPlaces: ["message", "type", "code"],
    huge: false,
    hidden: true,
  },
];

for (const target of TARGETS) {
  test(`fuzz: ${target.name} (seeded ${SEED}): no throw, chunk-invariant, framed, capped, no canary`, async () => {
    await fc.assert(
      fc.asyncProperty(
        scenario(target.dialect, target.canaryPlaces, target.huge, target.hidden),
        async ({ bytes, cuts }) => {
          const whole = await through(target.create(), [bytes]);
          const pieces = await through(target.create(), split(bytes, cuts));
          const stable = (output: string) => output.replace(/msg_gateway_[0-9a-z]+/g, "msg_gateway_id"); // from the clock
          assert.equal(
            stable(pieces),
            stable(whole),
            "the same stream chunked differently gives the same output",
          );
          assertFraming(whole, target.huge ? TAP_CAP : Number.POSITIVE_INFINITY);
          if (target.ordered === true) assertMessageOrder(whole);
          assert.equal(whole.includes(CANARY), false, `canary in ${JSON.stringify(whole)}`);
          const decoded = decodeJsonEscapes(whole);
          assert.equal(decoded.includes(CANARY), false, `escaped canary in ${JSON.stringify(whole)}`);
          for (const masked of MASKED)
            assert.equal(decoded.includes(masked), false, `masked canary in ${JSON.stringify(whole)}`);
          assert.equal(whole.includes("k".repeat(TAP_CAP)), false, "none of an oversized event leaves");
        },
      ),
      { seed: SEED, numRuns: 150, interruptAfterTimeLimit: 30_000, markInterruptAsFailure: true },
    );
  });
}

test("the translators end a stream with one unterminated event of megabytes as event_too_large, holding no more", async () => {
  const huge = Buffer.from(`data: {"x":"${"k".repeat(3 * 1024 * 1024)}`);
  const chunks = split(
    huge,
    Array.from({ length: 47 }, (_, index) => (index + 1) * 65_536),
  );
  const toAnthropic = await through(
    createTranslateTransform(createOpenAiToAnthropicStream({ model: "m" }), anthropicFailure),
    chunks,
  );
  assert.match(toAnthropic, /event: error\ndata: .*"event_too_large"/);
  const toOpenAi = await through(
    createTranslateTransform(createAnthropicToOpenAiStream({ includeUsage: false }), openAiFailure),
    [Buffer.from("event: message_start\n"), ...chunks],
  );
  assert.match(toOpenAi, /^data: \{"error":.*"event_too_large"/);
  assert.ok(toAnthropic.length + toOpenAi.length < 4096);
});

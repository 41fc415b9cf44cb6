/**
 * @module test/wire/stream-fuzz
 * Adversarial byte streams through every SSE tap and translator (issue 12), seeded and time-bounded:
 * valid events mixed with error events quoting a canary key, unreadable and oversized events, invalid
 * UTF-8, LF/CR/CRLF line ends and an unterminated tail, cut at random boundaries. Asserted: nothing
 * escapes as a throw or a stream error, the same stream chunked differently gives the same output, every
 * output event parses (JSON data or `[DONE]`), no event over the cap is relayed, and no canary leaves, as
 * sent, JSON-escaped or masked (the taps also get canaries hidden behind `\uXXXX` escapes or outside error
 * fields, masked in a conforming chunk's content), and chunks that end in `}` but are no JSON never pass.
 */
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { test } from "node:test";
import fc from "fast-check";
import type { GatewayError } from "../../src/errors/gateway-error.ts";
import { createKeyQuoteCheck } from "../../src/keys/create-key-quote-check.ts";
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
import { createUsageTap } from "../../src/wire/openai/create-usage-tap.ts";
import { toOpenAiErrorBody } from "../../src/wire/openai/openai-error-body.ts";

const SEED = 1207;
const CANARY = "sk-canary-fuzz-0123456789ABCDEFwxyz";
const TAP_CAP = 4096;
const secrets = [new SecretKey(CANARY)];
const redact = (text: string) => redactSecrets(text, secrets);
const quotesKey = createKeyQuoteCheck(secrets);

const openAiFailure = (failure: GatewayError) => `data: ${JSON.stringify(toOpenAiErrorBody(failure))}\n\n`;
const anthropicFailure = (failure: GatewayError) =>
  encodeSseEvent(JSON.stringify(toAnthropicErrorBody(failure)), "error");

type Dialect = "openai" | "anthropic";
/** One upstream event: text pieces and raw bytes (invalid UTF-8), lines joined with "\n". */
type Piece = string | Buffer;
type Pieces = readonly Piece[];

const json = (value: unknown) => JSON.stringify(value);
const text = fc.string({ maxLength: 12 });

/** Valid events of each dialect. */
const VALID: Record<Dialect, fc.Arbitrary<Pieces>> = {
  openai: fc.oneof(
    text.map((content) => [
      `data: ${json({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`,
    ]),
    fc.constant([
      `data: ${json({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } })}\n\n`,
    ]),
    fc.constant([": keep-alive\n\n"]),
    fc.constant(["data: [DONE]\n\n"]),
  ),
  anthropic: fc.oneof(
    fc.constant([
      `event: message_start\ndata: ${json({ type: "message_start", message: { id: "msg_1", type: "message", role: "assistant", model: "c", content: [], stop_reason: null, usage: { input_tokens: 3, output_tokens: 1 } } })}\n\n`,
    ]),
    fc.constant([
      `event: content_block_start\ndata: ${json({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } })}\n\n`,
    ]),
    text.map((value) => [
      `event: content_block_delta\ndata: ${json({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: value } })}\n\n`,
    ]),
    fc.constant([`event: ping\ndata: {"type": "ping"}\n\n`]),
    fc.constant([
      `event: message_delta\ndata: ${json({ type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 2 } })}\n\n`,
    ]),
    fc.constant([`event: message_stop\ndata: {"type":"message_stop"}\n\n`]),
  ),
};

/** An upstream error quoting the canary in the places the dialect may put it. */
const ERROR: Record<Dialect, (where: "message" | "type" | "code") => Pieces> = {
  openai: (where) => [
    `data: ${json({ error: { message: where === "message" ? `bad key ${CANARY}` : "bad", type: where === "type" ? CANARY : "server_error", code: where === "code" ? CANARY : null } })}\n\n`,
  ],
  anthropic: (where) => [
    `event: error\ndata: ${json({ type: "error", error: { type: where === "type" ? CANARY : "api_error", message: where === "message" ? `bad key ${CANARY}` : "bad" } })}\n\n`,
  ],
};

/** The masked forms of the canary providers echo (keys/redact-secrets.ts): never to leave either. */
const MASKED = [
  `${CANARY.slice(0, 6)}...${CANARY.slice(-4)}`,
  `${CANARY.slice(0, 10)}****${CANARY.slice(-4)}`,
  `${CANARY.slice(0, 4)}…${CANARY.slice(-4)}`,
  `***${CANARY.slice(-4)}`,
];
const CHUNK_PREFIX = '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m"';

/** The canary with its character at `index` as a JSON `\uXXXX` escape (the same string once parsed). */
const escapeAt = (index: number) =>
  `${CANARY.slice(0, index)}\\u${CANARY.charCodeAt(index).toString(16).padStart(4, "0")}${CANARY.slice(index + 1)}`;

/** `text` with every JSON `\uXXXX` escape decoded (what a client's JSON.parse reads). */
const decodeJsonEscapes = (text: string) =>
  text.replace(/\\u([0-9a-fA-F]{4})/g, (_match, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );

/**
 * The canary hidden from byte searches (review findings 2, 3): an escaped `error` name, one escaped key
 * character (anywhere, right after the prefix included), no error field, a conforming event.
 */
const HIDDEN: Record<Dialect, fc.Arbitrary<Pieces>> = {
  openai: fc.nat({ max: CANARY.length - 1 }).chain((at) =>
    fc.constantFrom<Pieces>(
      [`data: {"\\u0065rror":{"message":"bad key ${CANARY}"}}\n\n`],
      [`data: {"error":{"message":"bad key ${escapeAt(at)}","type":"x"}}\n\n`],
      [`data: {"detail":"bad key ${escapeAt(at)}"}\n\n`],
      [`data: {"detail":"bad key ${CANARY}"}\n\n`],
      [`data: {"id":"c","choices":[],"${escapeAt(at)}":1}\n\n`],
      [`data: {"id":"c","choices":[],"note":"${CANARY}"}\n\n`],
      // A masked key outside any error field of a conforming chunk: in the delta's content, another field.
      ...MASKED.map((masked) => [
        `data: ${CHUNK_PREFIX},"choices":[{"index":0,"delta":{"content":"key ${masked}"},"finish_reason":null}]}\n\n`,
      ]),
      ...MASKED.map((masked) => [
        `data: ${CHUNK_PREFIX},"system_fingerprint":"${masked}","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}\n\n`,
      ]),
    ),
  ),
  anthropic: fc
    .nat({ max: CANARY.length - 1 })
    .chain((at) =>
      fc.constantFrom<Pieces>(
        [`event: error\ndata: {"type":"\\u0065rror","\\u0065rror":{"message":"bad key ${CANARY}"}}\n\n`],
        [`event: error\ndata: {"type":"error","error":{"type":"api_error","message":"${escapeAt(at)}"}}\n\n`],
        [`event: ping\ndata: {"detail":"${escapeAt(at)}","type":"ping"}\n\n`],
        [`event: ping\ndata: {"type":"ping","note":"${CANARY}"}\n\n`],
        [`event: ping\ndata: {"type":"ping","${escapeAt(at)}":1}\n\n`],
      ),
    ),
};

/** Unreadable events (never relayed: the stream ends with invalid_upstream_event instead). */
const INVALID: Record<Dialect, readonly Pieces[]> = {
  openai: [
    [`data: {not json ${CANARY}\n\n`],
    [`garbage ${CANARY}\n\n`],
    ['data: {"choices":"notarray"}\n\n'],
    // One line of `data: {…}` ending in `}` that is no JSON: cut short, a `}` misplaced, a trailing comma.
    [`data: ${CHUNK_PREFIX},"choices":[{"index":0,"delta":{"content":"${CANARY}"},"finish_reason":null}\n\n`],
    [`data: ${CHUNK_PREFIX},"choices":[{"index":0,"delta":{"content":"hi"}},"finish_reason":null]}\n\n`],
    [
      `data: ${CHUNK_PREFIX},"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":14,"total_tokens":15},}\n\n`,
    ],
    [`data: ${CHUNK_PREFIX},"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":14},}\n\n`],
  ],
  anthropic: [[`event: content_block_delta\ndata: {not json ${CANARY}\n\n`], [`garbage ${CANARY}\n\n`]],
};

const HUGE: Pieces = [`data: {"x":"${"k".repeat(TAP_CAP + 100)}${CANARY}"}\n\n`];
const BAD_UTF8: Record<Dialect, Pieces> = {
  openai: [
    'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"',
    Buffer.from([0xff, 0xc3, 0x28, 0xe2, 0x82]),
    '"},"finish_reason":null}]}\n\n',
  ],
  anthropic: [
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"',
    Buffer.from([0xf0, 0x9f, 0x98, 0xff, 0xc0]),
    '"}}\n\n',
  ],
};

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
  // generated text that quotes a key redacted.
  {
    name: "the chat → Responses translator",
    dialect: "openai",
    create: () => {
      const translator = createChatToResponsesStream({
        context: { id: "resp_fuzz", createdAt: 1, model: "m", request: { model: "m", input: "x" } },
        describeFailure: (failure) => describeStreamFailure(failure, { provider: "custom", redact }),
        redact: (text) => (quotesKey(Buffer.from(text)) ? redact(text) : text),
        now: () => 1,
      });
      return createTranslateTransform(translator, (failure) => translator.errorEvent(failure));
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

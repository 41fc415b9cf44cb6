/**
 * @module bench/sse-tap.bench
 * The pass-through hot path: a chunk of conforming OpenAI stream events through the usage tap with
 * redaction armed (a user's key and the operator's in play), whole and cut mid-event, and the slow path
 * (events with `\u` escapes, parsed and redacted), with stream normalization on as the pipeline runs it;
 * and a llama.cpp-like stream whose `created` drifts (every event parsed, repaired, re-serialized); and the
 * same 10 events after a flood of 200 blank lines and 100 empty comments (review R5: relayed unread).
 * Baseline in the same run: a bare PassThrough.
 */
import { PassThrough, type Transform } from "node:stream";
import { createKeyQuoteCheck } from "../src/keys/create-key-quote-check.ts";
import { redactSecrets, SecretKey } from "../src/keys/index.ts";
import type { RelayTransform } from "../src/wire/create-relay-transform.ts";
import { createUsageTap } from "../src/wire/openai/create-usage-tap.ts";
import { measure, report } from "./measure.ts";

const OPERATIONS = 5_000;
const RUNS = 7;
const secrets = [
  new SecretKey("sk-bench-operator-0123456789abcdef"),
  new SecretKey("sk-bench-user-0123456789"),
];
const redact = (text: string) => redactSecrets(text, secrets);
const quotesKey = createKeyQuoteCheck(secrets);

const event = (content: string) =>
  `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":null}]}\n\n`;
const words = ["Hello", " there", ", how", " can", " I", " help", " you", " today", "?", " Sure"];
/** Ten conforming events in one chunk, as providers usually send them. */
const whole = Buffer.from(words.map(event).join(""));
/** The same bytes cut into three chunks in the middle of events. */
const cut = [whole.subarray(0, 333), whole.subarray(333, 1001), whole.subarray(1001)];
/** Ten events whose text uses `\u` escapes (a host escaping non-ASCII): parsed, redacted, kept. */
const escaped = Buffer.from(words.map((word) => event(`\\u00e9${word}`)).join(""));
/** The ten events after 300 data-less events (a flood within the bound: the events reset the count). */
const flooded = Buffer.concat([Buffer.from(`${"\n".repeat(200)}${":\n\n".repeat(100)}`), whole]);
/** Ten events stamped with the current second each (llama.cpp): parsed and repaired. */
const drifting = Buffer.from(
  words.map((word, index) => event(word).replace('"created":1,', `"created":${index + 2},`)).join(""),
);

function tap(): Transform {
  const created = createUsageTap({
    stripUsageChunk: false,
    onUsage: () => {},
    onText: () => {},
    redact,
    quotesKey,
    failureEvent: () => "data: {}\n\n",
    normalize: { fallbackModel: "m" },
  });
  created.on("data", () => {});
  created.write(Buffer.from(event("first"))); // the stream's first chunk: its id, created and model
  return created;
}

/** Writes the chunks, then runs the reads the tap deferred past the write (as the relay does before reporting). */
function writing(stream: Transform, chunks: readonly Buffer[]): () => void {
  const settle = "settle" in stream ? (stream as RelayTransform).settle : () => {};
  return () => {
    for (const chunk of chunks) stream.write(chunk);
    settle();
  };
}

const passThrough = new PassThrough();
passThrough.on("data", () => {});
const baseline = await measure(
  "baseline: PassThrough, 10 events in one chunk",
  OPERATIONS,
  RUNS,
  writing(passThrough, [whole]),
);
const cases = [
  await measure("usage tap, 10 conforming events in one chunk", OPERATIONS, RUNS, writing(tap(), [whole])),
  await measure("usage tap, the same cut mid-event in 3 chunks", OPERATIONS, RUNS, writing(tap(), cut)),
  await measure(
    "usage tap, 10 events with \\u escapes (parsed)",
    OPERATIONS,
    RUNS,
    writing(tap(), [escaped]),
  ),
  await measure(
    "usage tap, 300 blank lines/comments + the 10 events",
    OPERATIONS,
    RUNS,
    writing(tap(), [flooded]),
  ),
  await measure(
    "usage tap, 10 events with a drifting created (repaired)",
    OPERATIONS,
    RUNS,
    writing(tap(), [drifting]),
  ),
];
report("SSE usage tap (per 10-event chunk)", baseline, cases);

/**
 * @module test/wire/sse-tap-yield
 * The stream's first event, parsed, goes out alone when its chunk holds more: the rest a turn later. A
 * chunk whose cleared events are followed by one that must be inspected: the cleared events go out
 * before the rest of the chunk is worked on (a setImmediate later), in order; usage is read once, before
 * the report; a failure in the rest still ends with one error event on an event boundary; a client that
 * leaves, or an upstream that fails, while the rest waits leaves no immediate behind.
 */
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { GatewayError } from "../../src/errors/gateway-error.ts";
import { relayStream } from "../../src/pipeline/relay-stream.ts";
import { createUsageTap } from "../../src/wire/openai/create-usage-tap.ts";
import type { TokenUsage } from "../../src/wire/openai/openai-usage.ts";

const event = (content: string, finish: string | null = null) =>
  `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":${finish === null ? "null" : `"${finish}"`}}]}\n\n`;
const usageEvent =
  'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":4,"completion_tokens":3,"total_tokens":7}}\n\n';
/** The stream's first event, as conforming providers send it (the normalizer adds no role to it). */
const FIRST =
  'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"first"},"finish_reason":null}]}\n\n';
const DONE = "data: [DONE]\n\n";
const ERROR_EVENT = (type: string) => `data: {"error":{"type":"${type}"}}\n\n`;

/** A relayed usage tap as the pipeline runs it (normalization on), with what it read and when. */
function relayed(options: { stripUsageChunk: boolean }) {
  const read: string[] = [];
  let usage: TokenUsage | null = null;
  const tap = createUsageTap({
    stripUsageChunk: options.stripUsageChunk,
    onUsage: (reported) => {
      usage = reported;
      read.push("usage");
    },
    onText: () => read.push("text"),
    redact: (text) => text.replaceAll("sk-key", "[redacted]"),
    quotesKey: () => false,
    failureEvent: (failure) => ERROR_EVENT(failure.type),
    normalize: { fallbackModel: "m" },
  });
  const upstream = new PassThrough();
  const pieces: Array<{ text: string; reads: number; tick: number }> = [];
  /** Turns of the event loop (check phases) seen since the first piece. */
  let tick = 0;
  let waiting: { count: number; resolve: () => void } | null = null;
  /** Resolves (in the microtasks of the push, before any immediate) once `count` pieces went out. */
  const piecesOut = (count: number) =>
    new Promise<void>((resolve) => {
      if (pieces.length >= count) resolve();
      else waiting = { count, resolve };
    });
  const ended = new Promise<{ outcome: string; usage: TokenUsage | null; reads: number }>((resolve) => {
    const out = relayStream(upstream, tap, {
      signal: new AbortController().signal,
      mapFailure: () => new GatewayError("upstream_error", { message: "The provider failed." }),
      onEnd: (outcome) => resolve({ outcome, usage, reads: read.length }),
    });
    out.on("data", (piece: Buffer) => {
      pieces.push({ text: String(piece), reads: read.length, tick });
      setImmediate(() => {
        tick++;
      });
      if (waiting !== null && pieces.length >= waiting.count) {
        waiting.resolve();
        waiting = null;
      }
    });
  });
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
  return { tap, upstream, pieces, piecesOut, read, ended, nextTurn };
}

/** The stream's first event (parsed: the normalizer learns its id, created and model), then a turn. */
async function started(relay: ReturnType<typeof relayed>) {
  relay.upstream.write(Buffer.from(FIRST));
  await relay.nextTurn();
}

test("cleared events go out before the event that must be inspected is worked on; order and usage kept", async () => {
  const relay = relayed({ stripUsageChunk: true });
  await started(relay);
  const cleared = event("a") + event("b") + event("c");
  // An escape (inspected for redaction), the finish event, the usage chunk (stripped), then [DONE].
  const rest = event("\\u00e9 d") + event("", "stop") + usageEvent + DONE;
  relay.upstream.end(Buffer.from(cleared + rest));
  const ended = await relay.ended;
  assert.equal(ended.outcome, "ok");
  assert.deepEqual(ended.usage, { inputTokens: 4, outputTokens: 3, cachedInputTokens: 0 });
  assert.equal(relay.read.filter((what) => what === "usage").length, 1, "usage read once");
  assert.equal(ended.reads, relay.read.length, "every read done before the report");
  const out = relay.pieces.map((piece) => piece.text).join("");
  assert.equal(out, FIRST + cleared + event("\\u00e9 d") + event("", "stop") + DONE);
  // The cleared events left first, in a piece of their own, before any of them was read.
  const second = relay.pieces[1]!;
  assert.equal(second.text, cleared);
  assert.equal(second.reads, 1, "only the first event was read when the cleared ones went out");
  assert.ok(
    relay.pieces.slice(2).every((piece) => piece.tick > second.tick),
    "the rest a turn later",
  );
});

test("a chunk defers at most once: later cleared events go with the rest", async () => {
  const relay = relayed({ stripUsageChunk: false });
  await started(relay);
  const chunk =
    event("a") + event("\\u00e9") + event("b") + event("\\u00e8") + event("c") + usageEvent + DONE;
  relay.upstream.end(Buffer.from(chunk));
  const ended = await relay.ended;
  assert.equal(ended.outcome, "ok");
  assert.equal(relay.pieces.map((piece) => piece.text).join(""), FIRST + chunk);
  assert.deepEqual(
    relay.pieces.map((piece) => piece.text),
    [FIRST, event("a"), chunk.slice(event("a").length)],
  );
  assert.equal(relay.read.filter((what) => what === "usage").length, 1);
});

test("a failure in the deferred rest ends the stream with one error event after the cleared events", async () => {
  const relay = relayed({ stripUsageChunk: false });
  await started(relay);
  const cleared = event("a") + event("b");
  relay.upstream.write(Buffer.from(`${cleared}data: {"choices": [oops\n\n${event("never")}`));
  const ended = await relay.ended;
  const out = relay.pieces.map((piece) => piece.text).join("");
  assert.notEqual(ended.outcome, "ok");
  assert.equal(out, FIRST + cleared + ERROR_EVENT(ended.outcome));
  assert.equal(ended.reads, relay.read.length);
});

test("a client that leaves while the rest waits: no immediate left, the rest read once before the report", async () => {
  const relay = relayed({ stripUsageChunk: true });
  await started(relay);
  relay.upstream.write(Buffer.from(event("a") + event("b") + event("\\u00e9") + usageEvent));
  await relay.piecesOut(2); // the cleared events: the rest waits for its immediate
  const immediates = () => process.getActiveResourcesInfo().filter((kind) => kind === "Immediate").length;
  const pending = immediates();
  relay.tap.destroy(); // what the HTTP layer does when the client's socket closes
  const ended = await relay.ended;
  assert.equal(ended.outcome, "client_aborted");
  assert.deepEqual(ended.usage, { inputTokens: 4, outputTokens: 3, cachedInputTokens: 0 });
  assert.equal(relay.read.filter((what) => what === "usage").length, 1, "usage read once");
  assert.equal(ended.reads, relay.read.length, "read before the report");
  assert.equal(immediates(), pending - 1, "the immediate the rest waited for is cleared");
  await relay.nextTurn();
  assert.equal(relay.pieces.length, 2, "nothing is pushed after the client left");
});

test("an upstream failure while the rest waits: every event, then one error event, usage read before the report", async () => {
  const relay = relayed({ stripUsageChunk: true });
  await started(relay);
  const chunk = event("a") + event("\\u00e9") + usageEvent;
  relay.upstream.write(Buffer.from(chunk));
  await relay.piecesOut(2);
  relay.upstream.destroy(new Error("socket reset"));
  const ended = await relay.ended;
  assert.equal(ended.outcome, "upstream_error");
  assert.deepEqual(ended.usage, { inputTokens: 4, outputTokens: 3, cachedInputTokens: 0 });
  assert.equal(ended.reads, relay.read.length);
  const out = await new Promise<string>((resolve) => {
    if (relay.tap.readableEnded) resolve(relay.pieces.map((piece) => piece.text).join(""));
    else relay.tap.once("end", () => resolve(relay.pieces.map((piece) => piece.text).join("")));
  });
  assert.equal(out, FIRST + event("a") + event("\\u00e9") + ERROR_EVENT("upstream_error"));
});

test("the stream's first event goes out alone when its chunk holds more; the rest a turn later, in order", async () => {
  const relay = relayed({ stripUsageChunk: false });
  const rest = event("a") + event("b") + event("", "stop") + usageEvent + DONE;
  relay.upstream.end(Buffer.from(FIRST + rest));
  const ended = await relay.ended;
  assert.equal(ended.outcome, "ok");
  assert.equal(ended.reads, relay.read.length);
  assert.equal(relay.read.filter((what) => what === "usage").length, 1);
  const [first, ...others] = relay.pieces;
  assert.equal(first!.text, FIRST);
  assert.equal(first!.reads, 1, "only the first event was read when it went out");
  assert.equal(others.map((piece) => piece.text).join(""), rest);
  assert.ok(
    others.every((piece) => piece.tick > first!.tick),
    "the rest a turn later",
  );
});

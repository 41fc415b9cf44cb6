/**
 * @module test/wire/sse-tap-bounds
 * The SSE tap holds at most its cap: an unterminated event is refused as soon as the bytes waiting would
 * pass it (the tap stops reading), and an upstream failure drops the partial event instead of gluing the
 * error event onto it (issue 12, findings 1 and 9).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { GatewayError } from "../../src/errors/gateway-error.ts";
import { STREAM_FAILED } from "../../src/wire/create-relay-transform.ts";
import { createUsageTap } from "../../src/wire/openai/create-usage-tap.ts";
import { toOpenAiErrorBody } from "../../src/wire/openai/openai-error-body.ts";

const failureEvent = (failure: GatewayError) => `data: ${JSON.stringify(toOpenAiErrorBody(failure))}\n\n`;
const CAP = 8 * 1024;
const CHUNK = 1024;
const first =
  'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}\n\n';

test("an unterminated event is refused once the waiting bytes would pass the cap: at most cap + one chunk is read", async () => {
  const tap = createUsageTap({ stripUsageChunk: false, onUsage: () => {}, failureEvent, maxEventBytes: CAP });
  const out: string[] = [];
  tap.on("data", (piece: Buffer) => out.push(piece.toString()));
  let failed: GatewayError | null = null;
  tap.once(STREAM_FAILED, (failure: GatewayError) => {
    failed = failure;
  });
  let written = 0;
  tap.write(first);
  tap.write('data: {"x":"');
  while (failed === null && written < 64 * CAP) {
    tap.write("k".repeat(CHUNK));
    written += CHUNK;
  }
  assert.ok(failed !== null, "the tap refused the event");
  assert.equal((failed as GatewayError).code, "event_too_large");
  assert.ok(written <= CAP + CHUNK, `read ${written} bytes of one event`);
  const ended = new Promise((resolve) => tap.once("end", resolve));
  tap.end();
  await ended;
  assert.equal(out.join(""), first + failureEvent(failed));
});

test("an upstream failure after a partial event: the whole events, then the error event, never glued", async () => {
  const tap = createUsageTap({ stripUsageChunk: false, onUsage: () => {}, failureEvent });
  const out: string[] = [];
  tap.on("data", (piece: Buffer) => out.push(piece.toString()));
  const ended = new Promise((resolve) => tap.once("end", resolve));
  tap.write(first);
  tap.write('data: {"id":"c","choices":[{"delta":{"role":"assis');
  const failure = new GatewayError("upstream_timeout", { code: "body_idle_timeout" });
  tap.endWithFailure(failure);
  await ended;
  assert.equal(out.join(""), first + failureEvent(failure));
});

/** CPU milliseconds to write one event of `size` bytes into a fresh tap in `piece`-byte writes. */
function cpuOfOneEvent(size: number, piece: number): number {
  const tap = createUsageTap({ stripUsageChunk: false, onUsage: () => {}, failureEvent, redact: (t) => t });
  let failed = false;
  tap.on("data", () => {});
  tap.once(STREAM_FAILED, () => {
    failed = true;
  });
  const before = process.cpuUsage();
  tap.write(Buffer.from('data: {"choices":[{"delta":{"content":"'));
  const bytes = Buffer.alloc(piece, 0x61);
  for (let sent = 0; sent < size; sent += piece) tap.write(bytes);
  tap.write(Buffer.from('"}}]}\n\n'));
  const used = process.cpuUsage(before);
  assert.equal(failed, false);
  tap.destroy();
  return (used.user + used.system) / 1000;
}

/** The least CPU of three runs (GC and a shared machine only ever add). */
const leastOf3 = (size: number): number =>
  Math.min(cpuOfOneEvent(size, 64), cpuOfOneEvent(size, 64), cpuOfOneEvent(size, 64));

test("a partial event costs linear work: 8x the bytes in 64-byte writes costs about 8x, not 64x (review finding 1)", () => {
  cpuOfOneEvent(64 * 1024, 64); // warm up
  const small = leastOf3(64 * 1024);
  const large = leastOf3(512 * 1024);
  // Linear: ~8x. Quadratic (every write copies and rescans the waiting event): ~64x.
  assert.ok(
    large < 24 * Math.max(small, 5), // a floor: CPU time is counted in clock ticks
    `64 KiB: ${small.toFixed(1)} ms, 512 KiB: ${large.toFixed(1)} ms of CPU`,
  );
});

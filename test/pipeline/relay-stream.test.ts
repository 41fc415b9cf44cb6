/**
 * @module test/pipeline/relay-stream
 * The relay's pump: what the upstream holds goes to the transform as one chunk (events that arrived
 * together leave in one write), a consumer that reads slowly gets every byte in order (backpressure),
 * and an upstream failure after buffered events ends with one error event, once reported.
 */
import assert from "node:assert/strict";
import { PassThrough, Readable } from "node:stream";
import { test } from "node:test";
import { GatewayError } from "../../src/errors/gateway-error.ts";
import { relayStream } from "../../src/pipeline/relay-stream.ts";
import { createUsageTap } from "../../src/wire/openai/create-usage-tap.ts";

const event = (content: string) =>
  `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":null}]}\n\n`;

function tap() {
  return createUsageTap({
    stripUsageChunk: false,
    onUsage: () => {},
    failureEvent: (failure) => `data: {"error":{"type":"${failure.type}"}}\n\n`,
  });
}

function relay(upstream: Readable) {
  const outcomes: string[] = [];
  const relayed = relayStream(upstream, tap(), {
    signal: new AbortController().signal,
    mapFailure: () => new GatewayError("upstream_error", { message: "The provider failed." }),
    onEnd: (outcome) => outcomes.push(outcome),
  });
  return { relayed, outcomes };
}

test("events the upstream holds together go through the transform as one chunk", async () => {
  const events = ["a", "b", "c", "d"].map(event);
  const upstream = new PassThrough();
  for (const text of events) upstream.write(Buffer.from(text));
  upstream.end("data: [DONE]\n\n");
  const { relayed, outcomes } = relay(upstream);
  const pieces: string[] = [];
  for await (const piece of relayed) pieces.push(String(piece));
  assert.deepEqual(pieces, [`${events.join("")}data: [DONE]\n\n`]);
  assert.deepEqual(outcomes, ["ok"]);
});

test("a slow consumer gets every byte in order (the pump waits for the transform to drain)", async () => {
  const texts = Array.from({ length: 400 }, (_, index) => event(`${index}`.padStart(200, "x")));
  const upstream = Readable.from(texts.map((text) => Buffer.from(text)));
  const { relayed, outcomes } = relay(upstream);
  let out = "";
  for await (const piece of relayed) {
    out += String(piece);
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.equal(out, texts.join(""));
  assert.deepEqual(outcomes, ["ok"]);
});

test("an upstream failure after buffered events ends with one error event after them", async () => {
  const upstream = new PassThrough();
  upstream.write(Buffer.from(event("a") + event("b")));
  const { relayed, outcomes } = relay(upstream);
  const collected = (async () => {
    let out = "";
    for await (const piece of relayed) out += String(piece);
    return out;
  })();
  await new Promise((resolve) => setImmediate(resolve));
  upstream.destroy(new Error("socket reset"));
  const out = await collected;
  assert.equal(out, `${event("a")}${event("b")}data: {"error":{"type":"upstream_error"}}\n\n`);
  assert.deepEqual(outcomes, ["upstream_error"]);
});

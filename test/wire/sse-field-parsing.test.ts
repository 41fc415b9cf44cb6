/**
 * @module test/wire/sse-field-parsing
 * SSE fields read as the WHATWG parser reads them (review R6): a line that is just `data` is an empty data
 * value, so an event that spreads valid JSON over lines with one such line is valid and relayed as received;
 * a longer name that starts with `data` (`database:`) stays an unknown field.
 */
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { test } from "node:test";
import type { GatewayError } from "../../src/errors/gateway-error.ts";
import { createAnthropicUsageTap } from "../../src/wire/anthropic/create-anthropic-usage-tap.ts";
import { createSseParser } from "../../src/wire/anthropic/create-sse-parser.ts";
import type { RelayTransform } from "../../src/wire/create-relay-transform.ts";
import { createUsageTap } from "../../src/wire/openai/create-usage-tap.ts";
import { checkSseEvent } from "../../src/wire/openai/sse-event-check.ts";
import { sseEventData } from "../../src/wire/openai/sse-event-end.ts";

const failureEvent = (failure: GatewayError) => `data: {"error":${JSON.stringify(failure.code)}}\n\n`;
const PREFIX = '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m",';
const CHOICES = '"choices":[{"index":0,"delta":{"role":"assistant","content":"hi"},"finish_reason":null}]}';
/** Valid JSON over three data lines, the middle one a bare `data` (an empty line of the JSON). */
const SPLIT = `data: ${PREFIX}\ndata\ndata: ${CHOICES}\n\n`;

async function through(tap: RelayTransform, input: string): Promise<string> {
  const out: Buffer[] = [];
  tap.on("data", (piece: Buffer) => out.push(Buffer.from(piece)));
  const ended = new Promise((resolve) => tap.once("end", resolve));
  Readable.from([Buffer.from(input)]).pipe(tap);
  await ended;
  return Buffer.concat(out).toString();
}

test("a bare `data` line is an empty value, as the WHATWG parser reads it", () => {
  const [event] = createSseParser().push(SPLIT);
  assert.equal(event?.data, `${PREFIX}\n\n${CHOICES}`);
  assert.equal(sseEventData(SPLIT), event?.data);
  assert.equal(sseEventData("data\n\n"), "");
  assert.equal(sseEventData("database: 1\n\n"), null);
  assert.equal(
    checkSseEvent(Buffer.from(SPLIT), () => true, false),
    null,
  );
  assert.equal(checkSseEvent(Buffer.from("data\r\n\r\n"), () => true, false)?.code, "invalid_upstream_event");
  assert.equal(
    checkSseEvent(Buffer.from("database: {}\n\n"), () => true, false)?.code,
    "invalid_upstream_event",
  );
});

for (const normalize of [false, true]) {
  test(`the OpenAI tap relays such an event as received${normalize ? ", normalizing" : ""}`, async () => {
    const input = `${SPLIT}data: [DONE]\n\n`;
    const tap = createUsageTap({
      stripUsageChunk: false,
      onUsage: () => {},
      redact: (text) => text,
      failureEvent,
      ...(normalize ? { normalize: { fallbackModel: "m", now: () => 1 } } : {}),
    });
    assert.equal(await through(tap, input), input);
  });
}

test("the Anthropic tap relays such an event as received", async () => {
  const input = 'event: ping\ndata: {"type":\ndata\ndata: "ping"}\n\n';
  const tap = createAnthropicUsageTap({ onUsage: () => {}, redact: (text) => text, failureEvent });
  assert.equal(await through(tap, input), input);
});

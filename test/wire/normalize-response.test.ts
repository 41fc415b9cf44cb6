/**
 * @module test/wire/normalize-response
 * The Responses normalizer (wire/openai/normalize-response.ts) and the tap's lifecycle repair: a lenient
 * host's Response (no `strict` on a function tool, no `object`, `status`, `error`, `tool_choice`, …) comes
 * out valid against the published `Response`; a conforming one is left alone ("unchanged"); a value of the
 * wrong type is refused, never rewritten. Property (seeded, time-bounded): whatever members the upstream
 * drops or replaces with any JSON value, the result is either a valid Response or "invalid". Through the
 * tap: a loose stream's events all validate against `ResponseStreamEvent`, with one id and created_at,
 * repairs counted once per kind; a conforming stream leaves byte for byte; an unrepairable lifecycle event
 * ends the stream with a clean error event.
 */
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { test } from "node:test";
import fc from "fast-check";
import { createResponsesUsageTap } from "../../src/wire/openai/create-responses-usage-tap.ts";
import { normalizeResponse } from "../../src/wire/openai/normalize-response.ts";
import type { TokenUsage } from "../../src/wire/openai/openai-usage.ts";
import { encodeResponsesErrorEvent } from "../../src/wire/openai/responses-error-event.ts";
import type { StreamRepair } from "../../src/wire/stream-repair.ts";
import { encodeResponsesEvent, fakeResponses } from "../peers/fake-responses-api.ts";
import { LOOSE_TOOL, looseResponses } from "../support/loose-responses.ts";
import {
  assertValidResponse,
  assertValidResponsesStream,
  parseTypedSseEvents,
} from "../support/openai-schema.ts";

type Json = Record<string, unknown>;

const SEED = 4242;
const MODEL = "route-model";
const defaults = { model: MODEL, id: () => "resp_filled", createdAt: () => 1_700_000_123 };
const REQUEST = { model: MODEL, input: "hi", tools: [{ ...LOOSE_TOOL, strict: true }] };
const TEXT_REQUEST = { model: MODEL, input: "hi" };

test("a lenient host's Response: filled to the published schema, values sent kept", () => {
  for (const request of [REQUEST, TEXT_REQUEST]) {
    const { response } = looseResponses(request);
    const sent = structuredClone(response);
    assert.equal(normalizeResponse(response, defaults), "changed");
    assertValidResponse(response);
    assert.equal(response.object, "response");
    assert.equal(response.status, "completed");
    assert.equal(response.error, null);
    assert.equal(response.tool_choice, "auto");
    assert.equal(response.parallel_tool_calls, true);
    for (const field of ["id", "created_at", "model", "output"])
      assert.deepEqual(response[field], sent[field]);
    if (request === REQUEST)
      assert.equal((response.tools as Json[])[0]!.strict, null, "strict: null, as unknown");
    assert.equal((response.usage as Json).total_tokens, (sent.usage as Json).total_tokens);
  }
});

test("a conforming Response is unchanged (relayed as its own text)", () => {
  for (const request of [REQUEST, TEXT_REQUEST]) {
    const { response } = fakeResponses(request, 1, "sk-unused");
    const text = JSON.stringify(response);
    assert.equal(normalizeResponse(response, defaults), "unchanged");
    assert.equal(JSON.stringify(response), text);
  }
});

test("id, created_at, model and status are filled from the defaults; the status follows an error or details", () => {
  const bare: Json = { output: [] };
  assert.equal(normalizeResponse(bare, defaults), "changed");
  assertValidResponse(bare);
  assert.deepEqual(
    [bare.id, bare.created_at, bare.model, bare.status],
    ["resp_filled", 1_700_000_123, MODEL, "completed"],
  );
  const failed: Json = { output: [], error: { code: "server_error", message: "no" } };
  normalizeResponse(failed, defaults);
  assert.equal(failed.status, "failed");
  const cut: Json = { output: [], incomplete_details: { reason: "max_output_tokens" } };
  normalizeResponse(cut, defaults);
  assert.equal(cut.status, "incomplete");
});

test("a value of the wrong type is refused, not rewritten", () => {
  const cases: Json[] = [
    { object: "chat.completion" },
    { id: 7 },
    { created_at: "yesterday" },
    { created_at: 1.5 },
    { status: "done" },
    { error: { code: "teapot", message: "no" } },
    { tools: [{ type: "function", name: "f", strict: "yes" }] },
    { tools: [{ type: "function" }] },
    { tools: [3] },
    { output: [{ text: "no type" }] },
    { temperature: 3 },
    { top_p: -1 },
    { tool_choice: "sometimes" },
    { metadata: { count: 1 } },
    { usage: { input_tokens: -1, output_tokens: 1 } },
    { usage: { input_tokens: 1, output_tokens: 1, input_tokens_details: "none" } },
  ];
  for (const fields of cases) {
    const { response } = fakeResponses(REQUEST, 1, "sk-unused");
    assert.equal(normalizeResponse({ ...response, ...fields }, defaults), "invalid", JSON.stringify(fields));
  }
  assert.equal(normalizeResponse([], defaults), "invalid");
  assert.equal(normalizeResponse(null, defaults), "invalid");
});

/** The Response's members, each kept, dropped, nulled or replaced by any JSON value. */
const MEMBERS = Object.keys(fakeResponses(REQUEST, 1, "sk-unused").response);
/** Nested optional members the normalizer does not read (relayed as sent): kept or dropped, not replaced. */
const NESTED = new Set(["reasoning", "text"]);
const mutation = fc.oneof(
  { weight: 6, arbitrary: fc.constant<"keep">("keep") },
  { weight: 3, arbitrary: fc.constant<"drop">("drop") },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);
const apply = (target: Json, field: string, change: unknown): void => {
  if (change === "keep") return;
  if (change === "drop") delete target[field];
  else target[field] = change;
};

test(`property (seeded ${SEED}): whatever the upstream drops or replaces, a valid Response or "invalid"`, () => {
  fc.assert(
    fc.property(
      fc.boolean(),
      fc.array(mutation, { minLength: MEMBERS.length, maxLength: MEMBERS.length }),
      fc.array(fc.tuple(fc.constantFrom("type", "name", "strict", "parameters", "description"), mutation), {
        maxLength: 4,
      }),
      fc.array(fc.tuple(fc.nat(), fc.jsonValue({ maxDepth: 3 })), { maxLength: 2 }),
      fc.array(
        fc.tuple(
          fc.constantFrom(
            "input_tokens",
            "output_tokens",
            "total_tokens",
            "input_tokens_details",
            "output_tokens_details",
          ),
          mutation,
        ),
        { maxLength: 3 },
      ),
      (tools, members, toolChanges, outputChanges, usageChanges) => {
        const response = structuredClone(
          fakeResponses(tools ? REQUEST : TEXT_REQUEST, 1, "sk-unused").response,
        );
        MEMBERS.forEach((field, index) => {
          apply(response, field, NESTED.has(field) && members[index] !== "drop" ? "keep" : members[index]);
        });
        const tool = Array.isArray(response.tools) ? response.tools[0] : undefined;
        if (typeof tool === "object" && tool !== null && !Array.isArray(tool))
          for (const [field, change] of toolChanges) apply(tool as Json, field, change);
        if (Array.isArray(response.output) && response.output.length > 0)
          for (const [at, value] of outputChanges) response.output[at % response.output.length] = value;
        if (typeof response.usage === "object" && response.usage !== null && !Array.isArray(response.usage))
          for (const [field, change] of usageChanges) apply(response.usage as Json, field, change);
        const sent = JSON.stringify(response);
        const outcome = normalizeResponse(response, defaults);
        if (outcome === "invalid") return;
        assertValidResponse(response);
        if (outcome === "unchanged") assert.equal(JSON.stringify(response), sent);
      },
    ),
    { seed: SEED, numRuns: 600, interruptAfterTimeLimit: 20_000, markInterruptAsFailure: true },
  );
});

/** A stream through the normalizing tap: its output, usages and repairs. */
async function throughTap(events: readonly string[]) {
  const usages: TokenUsage[] = [];
  const repairs: StreamRepair[] = [];
  const tap = createResponsesUsageTap({
    onUsage: (usage) => usages.push(usage),
    redact: (text) => text.replaceAll("sk-canary-123456789", "[redacted]"),
    failureEvent: encodeResponsesErrorEvent,
    normalize: {
      fallbackModel: MODEL,
      onRepair: (repair) => repairs.push(repair),
      now: () => 1_700_000_123_000,
    },
  });
  const out: Buffer[] = [];
  tap.on("data", (piece: Buffer | string) => out.push(Buffer.from(piece)));
  const ended = new Promise((resolve) => tap.once("end", resolve));
  Readable.from(events.map((event) => Buffer.from(event))).pipe(tap);
  await ended;
  return { output: Buffer.concat(out).toString("utf8"), usages, repairs };
}

test("tap: a loose stream's events all validate, one id and created_at, repairs counted once per kind", async () => {
  const { events } = looseResponses(REQUEST);
  for (const event of events) if (typeof event.response === "object") delete (event.response as Json).id;
  const { output, usages, repairs } = await throughTap(events.map(encodeResponsesEvent));
  const sent = assertValidResponsesStream(output);
  const responses = sent
    .filter((event) => event.response !== undefined)
    .map((event) => event.response as Json);
  assert.deepEqual(
    responses.map((response) => response.status),
    ["in_progress", "in_progress", "completed"],
  );
  assert.equal(new Set(responses.map((response) => response.id)).size, 1, "one id for the stream");
  assert.equal(new Set(responses.map((response) => response.created_at)).size, 1);
  assert.equal(usages.length, 1, "the terminal event's usage, read once");
  assert.deepEqual(repairs, ["missing_field"]);
});

test("tap: a conforming stream leaves byte for byte, with no repair", async () => {
  const { events } = fakeResponses(REQUEST, 1, "sk-unused");
  const input = events.map(encodeResponsesEvent);
  const { output, usages, repairs } = await throughTap(input);
  assert.equal(output, input.join(""));
  assert.equal(usages.length, 1);
  assert.deepEqual(repairs, []);
});

test("tap: a repaired event quoting a key leaves redacted; an unrepairable one ends the stream cleanly", async () => {
  const { events } = looseResponses({ ...REQUEST, instructions: "use sk-canary-123456789" });
  const { output } = await throughTap(events.map(encodeResponsesEvent));
  assert.ok(!output.includes("sk-canary-123456789"));
  assertValidResponsesStream(output);

  const broken = fakeResponses(REQUEST, 1, "sk-unused").events.map((event) =>
    event.type === "response.in_progress"
      ? { ...event, response: { ...(event.response as Json), status: 42 } }
      : event,
  );
  const ended = parseTypedSseEvents((await throughTap(broken.map(encodeResponsesEvent))).output);
  assert.deepEqual(
    ended.map((event) => event.data.type),
    ["response.created", "error"],
  );
  assert.equal(ended[1]!.data.code, "invalid_upstream_event");
  assert.equal(ended[1]!.data.sequence_number, 1);
});

/**
 * @module test/translate/translate-transform.test
 * The Node Transform around a stream translator: the first translated bytes leave before the upstream ends
 * (a paced source proves it), the output equals the translator's own, and both directions fit.
 */
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { test } from "node:test";
import type { GatewayError } from "../../src/errors/gateway-error.ts";
import { createAnthropicToOpenAiStream } from "../../src/translate/anthropic-to-openai-stream.ts";
import { createTranslateTransform } from "../../src/translate/create-translate-transform.ts";
import { createOpenAiToAnthropicStream } from "../../src/translate/openai-to-anthropic-stream.ts";
import type { StreamTranslator } from "../../src/translate/stream-translator.ts";
import { STREAM_FAILED } from "../../src/wire/create-relay-transform.ts";
import { toOpenAiErrorBody } from "../../src/wire/openai/openai-error-body.ts";
import { assertOpenAiStream } from "./assert-openai-stream.ts";
import {
  anthropicStreamFixtures,
  openAiStreamFixtures,
  readFixture,
  splitEvents,
} from "./stream-fixtures.ts";

/** Replays the events as Buffers, pausing between them; records when the source ran dry. */
function pacedSource(text: string, log: string[]): Readable {
  return Readable.from(
    (async function* () {
      for (const event of splitEvents(text)) {
        await new Promise((resolve) => setTimeout(resolve, 2));
        log.push("upstream");
        yield Buffer.from(event);
      }
      log.push("upstream-end");
    })(),
  );
}

async function pipeThrough(text: string, translator: StreamTranslator, log: string[]): Promise<string> {
  const transform = createTranslateTransform(translator, failureEvent);
  const out: string[] = [];
  transform.on("data", (piece: Buffer) => {
    log.push("out");
    out.push(piece.toString());
  });
  const ended = new Promise((resolve, reject) => {
    transform.once("end", resolve);
    transform.once("error", reject);
  });
  pacedSource(text, log).pipe(transform);
  await ended;
  return out.join("");
}

const failureEvent = (failure: GatewayError) => `data: ${JSON.stringify(toOpenAiErrorBody(failure))}\n\n`;

const plain = (translator: StreamTranslator, text: string) =>
  [...translator.push(text), ...translator.end()].join("");

test("Anthropic → OpenAI in a Transform: output leaves while the upstream is still sending", async () => {
  const fixture = anthropicStreamFixtures.find((item) => item.name === "anthropic/parallel-tools");
  assert.ok(fixture);
  const text = readFixture(fixture);
  const log: string[] = [];
  const options = { includeUsage: true, created: 1 };
  const out = await pipeThrough(text, createAnthropicToOpenAiStream(options), log);
  assert.equal(out, plain(createAnthropicToOpenAiStream(options), text));
  assertOpenAiStream(out, { includeUsage: true });
  assert.ok(log.indexOf("out") < log.indexOf("upstream-end"), log.join(" "));
  assert.equal(log.indexOf("out"), 1, "the first upstream event is answered before the second arrives");
});

test("OpenAI → Anthropic in a Transform: the same, event by event", async () => {
  const fixture = openAiStreamFixtures.find((item) => item.name === "openai/text-then-tool");
  assert.ok(fixture);
  const text = readFixture(fixture);
  const log: string[] = [];
  const out = await pipeThrough(text, createOpenAiToAnthropicStream(), log);
  assert.equal(out, plain(createOpenAiToAnthropicStream(), text));
  assert.equal(log.indexOf("out"), 1);
  const upstreamEvents = log.filter((entry) => entry === "upstream").length;
  assert.ok(
    log.filter((entry) => entry === "out").length >= upstreamEvents - 1,
    "about one output per upstream event",
  );
});

test("a translator that throws ends its stream with one clean error event (the throw is announced, not raised)", async () => {
  const transform = createTranslateTransform(
    {
      push: () => {
        throw new Error("boom sk-canary-0123456789abcdef");
      },
      end: () => [],
    },
    failureEvent,
  );
  const errors: unknown[] = [];
  transform.on("error", (error) => errors.push(error));
  const failed = new Promise<[GatewayError, unknown]>((resolve) =>
    transform.once(STREAM_FAILED, (failure: GatewayError, thrown: unknown) => resolve([failure, thrown])),
  );
  const out: string[] = [];
  transform.on("data", (piece: Buffer) => out.push(piece.toString()));
  const ended = new Promise((resolve) => transform.once("end", resolve));
  transform.write("data: x\n\n");
  const [failure, thrown] = await failed;
  assert.equal(failure.code, "stream_relay_failed");
  assert.match(String(thrown), /boom/);
  transform.write("data: more\n\n"); // ignored from now on
  transform.end();
  await ended;
  assert.deepEqual(errors, []);
  const text = out.join("");
  assert.equal(text, failureEvent(failure));
  assert.equal(text.includes("sk-canary"), false);
});

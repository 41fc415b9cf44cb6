/**
 * @module test/translate/compose-stream-translators
 * Two translators composed as one: the first's events reach the second in order; a failure of the first
 * is said once, by the second (the first's own error event withheld), and nothing is fed after it.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { GatewayError } from "../../src/errors/gateway-error.ts";
import { createAnthropicToOpenAiStream } from "../../src/translate/anthropic-to-openai-stream.ts";
import { composeStreamTranslators } from "../../src/translate/compose-stream-translators.ts";
import type { StreamTranslator } from "../../src/translate/stream-translator.ts";

/** A second translator that records what it is fed and how it is ended. */
function recorder() {
  const fed: string[] = [];
  const ends: Array<GatewayError | undefined> = [];
  let failure: GatewayError | null = null;
  const translator: StreamTranslator = {
    push(chunk) {
      fed.push(String(chunk));
      return [`seen ${fed.length}\n\n`];
    },
    end(upstreamFailure) {
      ends.push(upstreamFailure);
      if (upstreamFailure !== undefined) failure = upstreamFailure;
      return [upstreamFailure === undefined ? "closed\n\n" : `failed ${upstreamFailure.code}\n\n`];
    },
    failure: () => failure,
  };
  return { translator, fed, ends };
}

const isErrorEvent = (event: string) => event.startsWith('data: {"error"');
const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
const START = event("message_start", {
  type: "message_start",
  message: {
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: "c",
    content: [],
    usage: { input_tokens: 3, output_tokens: 1 },
  },
});
const TEXT = [
  event("content_block_start", {
    type: "content_block_start",
    index: 0,
    content_block: { type: "text", text: "" },
  }),
  event("content_block_delta", {
    type: "content_block_delta",
    index: 0,
    delta: { type: "text_delta", text: "Hi" },
  }),
  event("content_block_stop", { type: "content_block_stop", index: 0 }),
  event("message_delta", {
    type: "message_delta",
    delta: { stop_reason: "end_turn" },
    usage: { output_tokens: 2 },
  }),
  event("message_stop", { type: "message_stop" }),
].join("");

test("a whole stream: every event of the first reaches the second, which closes once", () => {
  const second = recorder();
  const composed = composeStreamTranslators(
    createAnthropicToOpenAiStream({ includeUsage: true, created: 1 }),
    second.translator,
    { isErrorEvent },
  );
  const out = [...composed.push(START + TEXT), ...composed.end()];
  assert.ok(second.fed.length >= 4, "role, text, finish and usage chunks, then [DONE]");
  assert.equal(second.fed.at(-1), "data: [DONE]\n\n");
  assert.deepEqual(second.ends, [undefined]);
  assert.equal(out.at(-1), "closed\n\n");
  assert.equal(composed.failure?.(), null);
  assert.deepEqual(composed.end(), [], "ending twice writes nothing");
});

test("a provider error in the first: its error event withheld, the second ends with that failure once", () => {
  const second = recorder();
  const composed = composeStreamTranslators(
    createAnthropicToOpenAiStream({ includeUsage: true, created: 1 }),
    second.translator,
    { isErrorEvent },
  );
  const failed = event("error", { type: "error", error: { type: "overloaded_error", message: "busy" } });
  const out = composed.push(START + failed + TEXT);
  assert.equal(second.fed.some(isErrorEvent), false, "the first's error event is not fed");
  assert.equal(second.ends.length, 1);
  assert.equal(second.ends[0]?.type, "upstream_error");
  assert.equal(out.at(-1), `failed ${second.ends[0]?.code}\n\n`);
  assert.equal(composed.failure?.(), second.ends[0], "the failure the stream ended with");
  const fedBefore = second.fed.length;
  assert.deepEqual(composed.push(TEXT), [], "nothing after the failure");
  assert.deepEqual(composed.end(), []);
  assert.equal(second.fed.length, fedBefore);
});

test("an upstream cut (the relay's failure) reaches the second once", () => {
  const second = recorder();
  const composed = composeStreamTranslators(
    createAnthropicToOpenAiStream({ includeUsage: true, created: 1 }),
    second.translator,
    { isErrorEvent },
  );
  composed.push(START);
  const cut = new GatewayError("upstream_timeout", { message: "slow", code: "body_idle" });
  const out = composed.end(cut);
  assert.equal(second.ends.length, 1);
  assert.equal(second.ends[0], cut);
  assert.equal(out.at(-1), "failed body_idle\n\n");
});

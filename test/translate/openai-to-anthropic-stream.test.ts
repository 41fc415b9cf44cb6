/**
 * @module test/translate/openai-to-anthropic-stream.test
 * OpenAI streams → Anthropic events through the conformance kit (every fixture, every line ending, split
 * anywhere), plus the edges: hosts without [DONE] or usage, hosts that number every call 0, cut streams.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { GatewayError } from "../../src/errors/gateway-error.ts";
import { createOpenAiToAnthropicStream } from "../../src/translate/openai-to-anthropic-stream.ts";
import type { TokenUsage } from "../../src/wire/openai/openai-usage.ts";
import { assertAnthropicStream } from "./assert-anthropic-stream.ts";
import { openAiStreamFixtures, readFixture, runStreamConformance } from "./conformance-kit.ts";

const fixture = (name: string) => {
  const found = openAiStreamFixtures.find((item) => item.name === `openai/${name}`);
  assert.ok(found, name);
  return found;
};
const translateAll = (text: string) => {
  const stream = createOpenAiToAnthropicStream();
  return [...stream.push(text), ...stream.end()].join("");
};
const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: "chatcmpl-x", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

for (const item of openAiStreamFixtures) {
  test(`${item.name} → Anthropic events`, () => {
    runStreamConformance(item, () => createOpenAiToAnthropicStream());
  });
}

test("split in two at every byte, every line ending", () => {
  runStreamConformance(fixture("text-cache-usage"), () => createOpenAiToAnthropicStream(), {
    replays: ["halves"],
  });
  for (const newline of ["\r\n", "\r"] as const) {
    runStreamConformance(fixture("text-then-tool"), () => createOpenAiToAnthropicStream(), {
      newline,
      replays: ["bytes", "halves"],
    });
  }
});

test("message_start leaves on the first chunk with the upstream's id and model", () => {
  const stream = createOpenAiToAnthropicStream();
  const [first] = readFixture(fixture("parallel-tools")).split("\n\n");
  const out = stream.push(`${first}\n\n`).join("");
  assert.match(out, /^event: message_start\ndata: /);
  assert.match(out, /"id":"chatcmpl-Parallel01"/);
  assert.match(out, /"model":"gpt-4o-2024-08-06"/);
  assert.match(out, /event: content_block_start\ndata: .*"tool_use","id":"call_A","name":"get_weather"/);
});

test("a tool call after text closes the text block first", () => {
  const events = assertAnthropicStream(translateAll(readFixture(fixture("text-then-tool")))).events;
  const types = events.map(
    (event) => `${String(event.type)}${event.index === undefined ? "" : `:${String(event.index)}`}`,
  );
  const stopText = types.indexOf("content_block_stop:0");
  const startTool = types.indexOf("content_block_start:1");
  assert.ok(stopText !== -1 && stopText < startTool, types.join(" "));
});

test("onUsage reports the metered counts once", () => {
  const seen: [TokenUsage, boolean][] = [];
  const stream = createOpenAiToAnthropicStream({
    onUsage: (usage, complete) => seen.push([usage, complete]),
  });
  stream.push(readFixture(fixture("text-cache-usage")));
  stream.end();
  assert.deepEqual(seen, [[{ inputTokens: 3084, outputTokens: 9, cachedInputTokens: 2048 }, true]]);
});

test("a host that omits [DONE] still ends the message after its finish_reason", () => {
  const text = readFixture(fixture("length")).replace("data: [DONE]\n\n", "");
  const stream = assertAnthropicStream(translateAll(text));
  assert.equal(stream.stopReason, "max_tokens");
});

test("a stream cut before finish_reason ends with event: error", () => {
  const text =
    readFixture(fixture("length"))
      .split('"finish_reason":"length"')[0]
      ?.replace(/data: [^\n]*$/, "") ?? "";
  const stream = assertAnthropicStream(translateAll(text));
  assert.equal(stream.error?.type, "api_error");
  assert.equal((stream.error as { gateway_type?: string } | undefined)?.gateway_type, "upstream_error");
  assert.equal(stream.error?.code, "stream_truncated");
});

test("calls numbered 0 by a host but with new ids become separate tool_use blocks", () => {
  const text = [
    chunk({ role: "assistant", content: "" }),
    chunk({
      tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "a", arguments: "{}" } }],
    }),
    chunk({
      tool_calls: [
        { index: 0, id: "call_2", type: "function", function: { name: "b", arguments: '{"x":2}' } },
      ],
    }),
    chunk({}, "tool_calls"),
    "data: [DONE]\n\n",
  ].join("");
  const stream = assertAnthropicStream(translateAll(text));
  assert.deepEqual(stream.toolCalls, [
    { id: "call_1", name: "a", input: "{}" },
    { id: "call_2", name: "b", input: '{"x":2}' },
  ]);
  assert.equal(stream.stopReason, "tool_use");
});

test("calls without an index: each one naming a function opens a block, fragments follow the last", () => {
  const text = [
    chunk({ role: "assistant", content: "" }),
    chunk({ tool_calls: [{ function: { name: "a", arguments: "" } }] }),
    chunk({ tool_calls: [{ function: { arguments: '{"x":' } }] }),
    chunk({ tool_calls: [{ function: { arguments: "1}" } }] }),
    chunk({ tool_calls: [{ function: { name: "b", arguments: "{" } }] }),
    chunk({ tool_calls: [{ function: { arguments: "}" } }] }),
    chunk({}, "tool_calls"),
    "data: [DONE]\n\n",
  ].join("");
  const stream = assertAnthropicStream(translateAll(text));
  assert.deepEqual(
    stream.toolCalls.map((call) => [call.name, call.input]),
    [
      ["a", '{"x":1}'],
      ["b", "{}"],
    ],
  );
});

test("a refusal becomes text and stop_reason refusal; reasoning is dropped", () => {
  const text = [
    chunk({ role: "assistant", content: "", reasoning_content: "hmm" }),
    chunk({ refusal: "I can't help with that." }),
    chunk({}, "stop"),
    "data: [DONE]\n\n",
  ].join("");
  const stream = assertAnthropicStream(translateAll(text));
  assert.equal(stream.text, "I can't help with that.");
  assert.equal(stream.stopReason, "refusal");
});

test("a host's named error event without the envelope still surfaces", () => {
  const text = `${chunk({ role: "assistant", content: "Hi" })}event: error\ndata: {"message":"boom","type":"server_error"}\n\n`;
  const stream = assertAnthropicStream(translateAll(text));
  assert.equal(stream.text, "Hi");
  assert.equal(stream.error?.code, "server_error");
});

test("an empty stream that only says [DONE] is still a whole (empty) message", () => {
  const stream = assertAnthropicStream(translateAll("data: [DONE]\n\n"));
  assert.equal(stream.stopReason, "end_turn");
  assert.equal(stream.text, "");
});

/** One tool-call fragment at OpenAI index `index` (id and name on its first). */
const call = (index: number, args: string, first?: { id: string; name: string }) =>
  chunk({
    tool_calls: [
      {
        index,
        ...(first ? { id: first.id, type: "function" } : {}),
        function: { ...(first ? { name: first.name } : {}), arguments: args },
      },
    ],
  });

test("interleaved tool calls: the first streams live, a call started meanwhile is held whole, every block valid", () => {
  const stream = createOpenAiToAnthropicStream();
  const outs = [
    chunk({ role: "assistant" }),
    call(0, '{"city":', { id: "call_A", name: "weather" }),
    call(1, '{"q":', { id: "call_B", name: "search" }),
    call(0, '"Paris"}'), // A again, after B started
    call(1, '"news"}'),
    chunk({}, "tool_calls"),
    "data: [DONE]\n\n",
  ].map((event) => stream.push(event).join(""));
  outs.push(stream.end().join(""));
  assert.match(outs[1]!, /"partial_json":"\{\\"city\\":"/, "A's fragment leaves as it comes");
  assert.equal(outs[2], "", "B waits: A's block is open and A may go on");
  assert.match(outs[3]!, /"partial_json":"\\"Paris\\"\}"/, "A's late fragment still streams live");
  assert.equal(outs[4], "");
  assert.match(outs[5]!, /"id":"call_B"/, "B leaves whole once A's block closes");
  const summary = assertAnthropicStream(outs.join(""));
  assert.equal(summary.error, null);
  assert.deepEqual(
    summary.toolCalls.map((item) => [item.id, item.name, JSON.parse(item.input)]),
    [
      ["call_A", "weather", { city: "Paris" }],
      ["call_B", "search", { q: "news" }],
    ],
  );
  assert.equal(summary.stopReason, "tool_use");
});

test("a fragment for a call whose block closed (text came between) ends the stream cleanly", () => {
  const text = [
    call(0, '{"a":', { id: "call_A", name: "f" }),
    chunk({ content: "then some text" }),
    call(0, "1}"),
    chunk({}, "tool_calls"),
    "data: [DONE]\n\n",
  ].join("");
  const summary = assertAnthropicStream(translateAll(text));
  assert.equal((summary.error as { type?: string } | null)?.type !== undefined, true);
  assert.match(JSON.stringify(summary.error), /invalid_upstream_event|could not read/);
});

test("held arguments past maxHeldBytes, or refused by the answer memory, end the stream cleanly", () => {
  const text = [
    call(0, '{"a":', { id: "call_A", name: "f" }),
    call(1, `"${"x".repeat(200)}`, { id: "call_B", name: "g" }),
    call(1, `${"y".repeat(200)}"`),
    chunk({}, "tool_calls"),
    "data: [DONE]\n\n",
  ].join("");
  const capped = createOpenAiToAnthropicStream({ maxHeldBytes: 300 });
  const summary = assertAnthropicStream([...capped.push(text), ...capped.end()].join(""));
  assert.match(JSON.stringify(summary.error), /larger than the gateway's response cap/);

  const taken: number[] = [];
  const refusing = createOpenAiToAnthropicStream({
    held: {
      take(bytes) {
        taken.push(bytes);
        return taken.length > 1
          ? new GatewayError("upstream_error", { message: "answer memory full", code: "answer_memory" })
          : null;
      },
      give: () => assert.fail("nothing was written out, so nothing is given back"),
    },
  });
  const refused = assertAnthropicStream([...refusing.push(text), ...refusing.end()].join(""));
  assert.deepEqual(taken, [201, 201]);
  assert.match(JSON.stringify(refused.error), /answer memory full/);
});

test("held calls give their bytes back to the answer memory once written: a long stream of held calls never fills it", () => {
  let held = 0;
  const share = {
    take(bytes: number) {
      if (held + bytes > 1000) return new GatewayError("rate_limited", { message: "answer memory full" });
      held += bytes;
      return null;
    },
    give(bytes: number) {
      held -= bytes;
    },
  };
  const stream = createOpenAiToAnthropicStream({ held: share });
  const events: string[] = [chunk({ role: "assistant" })];
  // Ten rounds, each: call A opens, call B is held with 600 bytes ("é" is two), then text writes B out.
  for (let round = 0; round < 10; round++) {
    events.push(call(2 * round, "{}", { id: `call_A${round}`, name: "f" }));
    events.push(call(2 * round + 1, `"${"é".repeat(299)}"`, { id: `call_B${round}`, name: "g" }));
    events.push(chunk({ content: `round ${round}` }));
  }
  events.push(chunk({}, "stop"), "data: [DONE]\n\n");
  const summary = assertAnthropicStream(
    [...events.flatMap((event) => stream.push(event)), ...stream.end()].join(""),
  );
  assert.equal(summary.error, null);
  assert.equal(summary.toolCalls.length, 20);
  assert.equal(held, 0, "every held byte given back");
});

/**
 * @module test/wire/sse-leading-bom
 * An upstream event stream that starts with a UTF-8 byte order mark (which every SSE parser ignores, WHATWG
 * HTML "Parsing an event stream") is relayed as the same stream without it, whatever the chunk boundaries:
 * through the chat, Responses and Anthropic taps, and end to end to the official openai SDK. A BOM anywhere
 * else is not removed.
 */
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { createAnthropicUsageTap } from "../../src/wire/anthropic/create-anthropic-usage-tap.ts";
import type { RelayTransform } from "../../src/wire/create-relay-transform.ts";
import { createResponsesUsageTap } from "../../src/wire/openai/create-responses-usage-tap.ts";
import { createUsageTap } from "../../src/wire/openai/create-usage-tap.ts";
import { createLeadingBom } from "../../src/wire/openai/sse-leading-bom.ts";
import { type GatewayUser, type ModelGateway, startModelGateway } from "../support/model-gateway.ts";
import { SDK_FEATURES, USER_KEYS } from "../support/provider-routes.ts";

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

const CHAT = [
  'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"logprobs":null,"finish_reason":null}]}',
  'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"lo"},"logprobs":null,"finish_reason":"stop"}]}',
  'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}}',
  "data: [DONE]",
]
  .map((event) => `${event}\n\n`)
  .join("");

const RESPONSE = {
  id: "resp_1",
  object: "response",
  created_at: 1,
  status: "completed",
  model: "m",
  output: [],
  usage: { input_tokens: 4, output_tokens: 2, total_tokens: 6 },
};
const RESPONSES = `event: response.completed\ndata: ${JSON.stringify({ type: "response.completed", sequence_number: 0, response: RESPONSE })}\n\n`;

const ANTHROPIC = [
  `event: message_start\ndata: ${JSON.stringify({ type: "message_start", message: { id: "msg_1", type: "message", role: "assistant", model: "claude", content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 5, output_tokens: 1 } } })}`,
  `event: message_delta\ndata: ${JSON.stringify({ type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 9 } })}`,
  `event: message_stop\ndata: ${JSON.stringify({ type: "message_stop" })}`,
]
  .map((event) => `${event}\n\n`)
  .join("");

interface Tapped {
  readonly tap: RelayTransform;
  readonly usage: () => unknown;
}

const TAPS: Readonly<Record<string, { readonly stream: string; readonly make: () => Tapped }>> = {
  chat: {
    stream: CHAT,
    make() {
      let usage: unknown = null;
      const tap = createUsageTap({
        stripUsageChunk: false,
        onUsage: (read) => {
          usage = read;
        },
        failureEvent: () => 'data: {"error":"refused"}\n\n',
      });
      return { tap, usage: () => usage };
    },
  },
  responses: {
    stream: RESPONSES,
    make() {
      let usage: unknown = null;
      const tap = createResponsesUsageTap({
        onUsage: (read) => {
          usage = read;
        },
        failureEvent: () => 'event: error\ndata: {"type":"error"}\n\n',
      });
      return { tap, usage: () => usage };
    },
  },
  anthropic: {
    stream: ANTHROPIC,
    make() {
      let usage: unknown = null;
      const tap = createAnthropicUsageTap({
        onUsage: (read, final) => {
          if (final) usage = read;
        },
        failureEvent: () => 'event: error\ndata: {"type":"error"}\n\n',
      });
      return { tap, usage: () => usage };
    },
  },
};

async function relay(make: () => Tapped, chunks: readonly Buffer[]) {
  const { tap, usage } = make();
  const out: Buffer[] = [];
  let failed = false;
  tap.on("data", (piece: Buffer) => out.push(piece));
  tap.once("byok:stream-failed", () => {
    failed = true;
  });
  const ended = new Promise((resolve) => tap.once("end", resolve));
  Readable.from(chunks).pipe(tap);
  await ended;
  return { text: Buffer.concat(out).toString(), usage: usage(), failed };
}

function split(buffer: Buffer, size: number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let at = 0; at < buffer.length; at += size) pieces.push(buffer.subarray(at, at + size));
  return pieces;
}

for (const [name, { stream, make }] of Object.entries(TAPS)) {
  test(`${name} tap: a leading BOM is removed at every split size; the usage is read`, async () => {
    const expected = await relay(make, [Buffer.from(stream)]);
    assert.equal(expected.failed, false, "the stream without a BOM relays");
    assert.notEqual(expected.usage, null, "its usage is read");
    const withBom = Buffer.concat([BOM, Buffer.from(stream)]);
    for (const size of [1, 2, 3, 4, 5, 64, withBom.length]) {
      const result = await relay(make, split(withBom, size));
      assert.equal(result.failed, false, `split ${size}: not refused`);
      // The first event is read like any other (it was before too; only the BOM itself went out).
      assert.deepEqual(result.usage, expected.usage, `split ${size}: the usage read`);
      assert.equal(result.text, stream, `split ${size}: the same stream, without the BOM`);
    }
  });
}

test("a BOM after the stream's start is not removed (it is the event's own bytes)", async () => {
  const second = Buffer.concat([Buffer.from(CHAT.slice(0, CHAT.indexOf("\n\n") + 2)), BOM]);
  const result = await relay(TAPS.chat!.make, [second, Buffer.from(CHAT.slice(CHAT.indexOf("\n\n") + 2))]);
  assert.ok(result.text.includes("\uFEFF") || result.failed, "kept as sent, or the event refused");
});

test("the leading-BOM helper: held while undecided, given back when the stream ends inside it", () => {
  const bom = createLeadingBom();
  assert.equal(bom.strip(BOM.subarray(0, 1)), null);
  assert.equal(bom.strip(BOM.subarray(1, 2)), null);
  assert.deepEqual(bom.rest(), BOM.subarray(0, 2));
  const other = createLeadingBom();
  assert.equal(other.strip(Buffer.from([0xef])), null);
  assert.deepEqual(
    other.strip(Buffer.from("data")),
    Buffer.concat([Buffer.from([0xef]), Buffer.from("data")]),
  );
  assert.deepEqual(other.strip(BOM), BOM, "decided: later bytes pass as they are");
});

describe("end to end: an upstream stream starting with a BOM, through the gateway to the openai SDK", () => {
  let env: ModelGateway;
  let user: GatewayUser;
  before(async () => {
    env = await startModelGateway({ features: SDK_FEATURES });
    user = await env.user({ openai: USER_KEYS.openai });
  });
  after(() => env.close());

  test("the SDK reads the whole answer and the call is not failed", async () => {
    env.fakes.openai.respondNext((_request, response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write(BOM.subarray(0, 2));
      response.end(Buffer.concat([BOM.subarray(2), Buffer.from(CHAT)]));
    });
    const stream = await user.openai.chat.completions.create({
      model: "summary",
      messages: [{ role: "user", content: "Hi" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: unknown = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(text, "Hello");
    assert.deepEqual(usage, { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 });
  });
});

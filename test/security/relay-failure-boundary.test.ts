/**
 * @module test/security/relay-failure-boundary
 * One failure boundary per call (issue 12): a tap, a redactor or a translator that throws while a stream
 * is relayed ends that stream with one clean error event the OpenAI SDK raises, is reported once (the
 * one log line), and the same server keeps serving. Real loopback servers on both sides, the relay the
 * gateway uses (relayStream) in between, the official SDK as the client.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, get, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import OpenAI from "openai";
import { GatewayError } from "../../src/errors/gateway-error.ts";
import { relayStream } from "../../src/pipeline/relay-stream.ts";
import { createTranslateTransform } from "../../src/translate/create-translate-transform.ts";
import { createOpenAiToAnthropicStream } from "../../src/translate/openai-to-anthropic-stream.ts";
import type { RelayTransform } from "../../src/wire/create-relay-transform.ts";
import { createUsageTap } from "../../src/wire/openai/create-usage-tap.ts";
import { toOpenAiErrorBody } from "../../src/wire/openai/openai-error-body.ts";

const CANARY = "sk-canary-boundary-0123456789abcdefXYZ";
const chunk = (content: string) =>
  `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":null}]}\n\n`;
const UPSTREAM = `${chunk("Hel")}${chunk("lo")}data: {"error":{"message":"bad key ${CANARY}","type":"server_error","code":null}}\n\n`;

const failureEvent = (failure: GatewayError) => `data: ${JSON.stringify(toOpenAiErrorBody(failure))}\n\n`;
const boom = () => {
  throw new Error(`boom ${CANARY}`);
};

/** The transform each path relays through: well-behaved, or one piece throwing. */
const TRANSFORMS: Record<string, () => RelayTransform> = {
  ok: () => createUsageTap({ stripUsageChunk: false, onUsage: () => {}, failureEvent }),
  "throwing-redactor": () =>
    createUsageTap({ stripUsageChunk: false, onUsage: () => {}, redact: boom, failureEvent }),
  "throwing-tap": () =>
    createUsageTap({ stripUsageChunk: false, onUsage: () => {}, onText: boom, failureEvent }),
  "throwing-translator": () => {
    const translator = createOpenAiToAnthropicStream();
    let pushes = 0;
    return createTranslateTransform(
      { push: (piece) => (++pushes > 1 ? boom() : translator.push(piece)), end: () => translator.end() },
      failureEvent,
    );
  },
};

let upstream: Server;
let relay: Server;
let upstreamOrigin = "";
let relayOrigin = "";
const outcomes: string[] = [];
const faults: unknown[] = [];

before(async () => {
  upstream = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/event-stream" });
    // One event per write: the relay sees several chunks.
    const events = UPSTREAM.split(/(?<=\n\n)/);
    const next = () => {
      const event = events.shift();
      if (event === undefined) response.end();
      else response.write(event, next);
    };
    next();
  });
  upstream.listen(0, "127.0.0.1");
  await once(upstream, "listening");
  upstreamOrigin = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

  relay = createServer((request, response) => {
    const mode = request.url?.split("/")[1] ?? "ok";
    const create = TRANSFORMS[mode] ?? TRANSFORMS.ok!;
    request.resume();
    get(upstreamOrigin, (upstreamResponse: IncomingMessage) => {
      const body = relayStream(upstreamResponse, create(), {
        signal: new AbortController().signal,
        mapFailure: () => new GatewayError("upstream_error"),
        onEnd: (outcome) => outcomes.push(outcome),
        onFault: (thrown) => faults.push(thrown),
      });
      response.writeHead(200, { "content-type": "text/event-stream" });
      body.pipe(response);
    });
  });
  relay.listen(0, "127.0.0.1");
  await once(relay, "listening");
  relayOrigin = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
});

after(() => {
  upstream.close();
  relay.close();
});

const client = (mode: string) =>
  new OpenAI({ baseURL: `${relayOrigin}/${mode}`, apiKey: "x", maxRetries: 0 });

async function streamText(mode: string): Promise<string> {
  const response = await fetch(`${relayOrigin}/${mode}/chat/completions`, { method: "POST", body: "{}" });
  return response.text();
}

for (const mode of ["throwing-redactor", "throwing-tap", "throwing-translator"]) {
  test(`a ${mode.replace("throwing-", "")} that throws ends that stream with one clean error event; the server keeps serving`, async () => {
    const faultsBefore = faults.length;
    const outcomesBefore = outcomes.length;
    const stream = await client(mode).chat.completions.create({
      model: "m",
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    await assert.rejects(
      async () => {
        for await (const _chunk of stream);
      },
      (error: InstanceType<typeof OpenAI.APIError>) => {
        assert.equal(error.code, "stream_relay_failed", String(error));
        assert.equal(error.message.includes(CANARY), false);
        return true;
      },
    );
    assert.equal(faults.length - faultsBefore, 1, "reported once (the one log line)");
    assert.equal(outcomes.slice(outcomesBefore).join(), "internal_error");

    const text = await streamText(mode);
    assert.equal(text.includes(CANARY), false, "no key in the stream, whatever threw");
    assert.equal(text.match(/stream_relay_failed/g)?.length, 1, "exactly one error event");
    assert.match(text, /\n\n$/, "ends on an event boundary");

    // The same process and server go on: a well-behaved stream on the same relay completes.
    const ok = await streamText("ok");
    assert.ok(ok.startsWith(chunk("Hel")));
  });
}

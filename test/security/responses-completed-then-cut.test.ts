/**
 * @module test/security/responses-completed-then-cut
 * A Responses pass-through stream whose upstream resets its connection after `response.completed`: the
 * client has its whole answer, so nothing is written after it (no `error`, no `response.failed`), and
 * the official SDK's `finalResponse()` resolves with the completed Response.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import OpenAI from "openai";
import { encodeResponsesEvent, fakeResponses } from "../peers/fake-responses-api.ts";
import { call } from "../support/gateway-client.ts";
import {
  GPT_MODEL,
  OPENAI_USER_KEY,
  type ResponsesGateway,
  startResponsesGateway,
} from "../support/responses-gateway.ts";

let env: ResponsesGateway;
before(async () => {
  env = await startResponsesGateway();
});
after(async () => {
  await env.close();
});

const { events } = fakeResponses({ model: GPT_MODEL, input: "hi" }, 9, "");
const whole = events.map(encodeResponsesEvent).join("");

/** The next upstream answer: every event through response.completed, then the socket reset. */
const completeThenReset = () =>
  env.openai.respondNext((_request, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(whole, () => res.destroy());
  });

test("raw: the stream ends with response.completed, nothing after it", async () => {
  const user = await env.user({ openai: OPENAI_USER_KEY });
  completeThenReset();
  const response = await call(env.gateway, "POST", "/v1/responses", {
    token: user.token,
    headers: user.headers,
    body: { model: "gpt_byok", input: "hi", stream: true },
  });
  assert.equal(response.status, 200);
  const types = [...response.text.matchAll(/^event: (\S+)$/gm)].map((match) => match[1]);
  assert.equal(types.at(-1), "response.completed", types.join(", "));
  assert.ok(!types.includes("error"), types.join(", "));
});

test("the openai SDK's finalResponse() resolves with the completed Response", async () => {
  const user = await env.user({ openai: OPENAI_USER_KEY });
  completeThenReset();
  const client = new OpenAI({
    apiKey: user.token,
    baseURL: `${env.gateway.url}/v1`,
    defaultHeaders: user.headers,
    maxRetries: 0,
  });
  const stream = client.responses.stream({ model: "gpt_byok", input: "hi" });
  const final = await stream.finalResponse();
  assert.equal(final.status, "completed");
});

test("a second terminal event after response.completed cannot change what is metered: the first one's usage is the call's", async () => {
  const user = await env.user({ openai: OPENAI_USER_KEY });
  const completed = events.at(-1)!;
  const delta = events.find((event) => event.type === "response.output_text.delta")!;
  const smuggled = encodeResponsesEvent({
    ...delta,
    delta: "SMUGGLED AFTER COMPLETED",
    sequence_number: 999,
  });
  const second = encodeResponsesEvent({
    ...completed,
    sequence_number: 1000,
    response: {
      ...(completed.response as Record<string, unknown>),
      usage: {
        input_tokens: 1,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 1,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 2,
      },
    },
  });
  env.openai.respondNext((_request, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.end(whole + smuggled + second);
  });
  const served = env.gateway.waitForLog(`"served":{"userId":"${user.id}"`);
  const response = await call(env.gateway, "POST", "/v1/responses", {
    token: user.token,
    headers: user.headers,
    body: { model: "gpt_byok", input: "hi", stream: true },
  });
  assert.equal(response.status, 200);
  // What comes after the end is relayed as the upstream sent it (an SDK stops at response.completed).
  assert.ok(response.text.startsWith(whole));
  const usage = (completed.response as { usage: { input_tokens: number; output_tokens: number } }).usage;
  const line = await served;
  assert.match(line, new RegExp(`"inputTokens":${usage.input_tokens}\\b`));
  assert.match(line, new RegExp(`"outputTokens":${usage.output_tokens}\\b`));
});

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

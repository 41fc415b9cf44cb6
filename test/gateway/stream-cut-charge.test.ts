/**
 * @module test/gateway/stream-cut-charge
 * What a client cannot do to its own charge: an operator-served stream it cuts before the provider
 * reported usage (hidden reasoning spent, a few text bytes seen) is charged its reservation (input estimate
 * plus the output bound), marked estimated; the same cut on the user's own key, and a stream the upstream
 * cut, keep the estimate from the text seen. Streamed `/v1/responses` passed through to OpenAI.
 */
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, before, test } from "node:test";
import { estimateTokens } from "../../src/wire/openai/count-delta-text.ts";
import { encodeResponsesEvent } from "../peers/fake-responses-api.ts";
import { call } from "../support/gateway-client.ts";
import {
  METERED_PLAN,
  OPENAI_USER_KEY,
  type ResponsesGateway,
  type ResponsesUser,
  startResponsesGateway,
} from "../support/responses-gateway.ts";

const MAX_OUTPUT = 500;

let env: ResponsesGateway;
before(async () => {
  env = await startResponsesGateway();
});
after(async () => {
  await env.close();
});

/** The start of a reasoning model's stream: created, then (after hidden reasoning) one text delta; never ends. */
function startStream(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "text/event-stream" });
  const response = {
    id: "resp_1",
    object: "response",
    created_at: 1,
    status: "in_progress",
    model: "o3",
    output: [],
  };
  res.write(encodeResponsesEvent({ type: "response.created", sequence_number: 0, response }));
  res.write(
    encodeResponsesEvent({
      type: "response.output_text.delta",
      sequence_number: 1,
      item_id: "msg_1",
      output_index: 1,
      content_index: 0,
      delta: "The",
      logprobs: [],
    }),
  );
}

/** Streams a request until the first text delta arrived; then `cut` ends it (the client or the upstream). */
async function streamUntilText(user: ResponsesUser, controller: AbortController) {
  const before = env.openai.requests.length;
  const response = await fetch(`${env.gateway.url}/v1/responses`, {
    method: "POST",
    signal: controller.signal,
    headers: { ...user.headers, authorization: `Bearer ${user.token}`, "content-type": "application/json" },
    body: JSON.stringify({
      model: "gpt",
      input: "prove the Riemann hypothesis",
      stream: true,
      reasoning: { effort: "high" },
      max_output_tokens: MAX_OUTPUT,
    }),
  });
  assert.equal(response.status, 200);
  const reader = response.body!.getReader();
  let seen = "";
  while (!seen.includes("output_text.delta")) {
    const chunk = await reader.read();
    assert.equal(chunk.done, false, "the stream ended before its text delta");
    seen += new TextDecoder().decode(chunk.value);
  }
  return { reader, sent: () => env.openai.requests[before]! };
}

async function usageOf(user: ResponsesUser) {
  const report = await call(env.gateway, "GET", "/v1/usage", { token: user.token });
  return report.body as {
    limits: Array<{ meter: string; used: number }>;
    usage: Record<
      "byok" | "operator",
      { requests: number; estimated_requests: number; input_tokens: number; output_tokens: number }
    >;
  };
}

test("operator key, cut by the client: charged the reservation (input estimate + max_output_tokens), estimated", async () => {
  const user = await env.user({}, METERED_PLAN);
  env.openai.respondNext((_request, res) => startStream(res));
  const controller = new AbortController();
  const { sent } = await streamUntilText(user, controller);
  const closed = env.openai.nextAbortedResponse();
  controller.abort();
  await closed;
  const served = await env.gateway.waitForLog(`"served":{"userId":"${user.id}"`);
  assert.match(served, /"outcome":"client_aborted"/);
  // The upstream body is the basis of the input estimate admission reserved.
  const reservedInput = estimateTokens(Buffer.byteLength(JSON.stringify(sent().body)));
  const usage = await usageOf(user);
  assert.equal(usage.limits.find((limit) => limit.meter === "tokens")?.used, reservedInput + MAX_OUTPUT);
  assert.equal(usage.usage.operator.output_tokens, MAX_OUTPUT);
  assert.equal(usage.usage.operator.input_tokens, reservedInput);
  assert.equal(usage.usage.operator.estimated_requests, 1);
});

test("operator key, cut by the upstream: the estimate from the text seen (not the client's doing)", async () => {
  const user = await env.user({}, METERED_PLAN);
  env.openai.respondNext((_request, res) => {
    startStream(res);
    setImmediate(() => res.socket?.destroy());
  });
  const { reader } = await streamUntilText(user, new AbortController());
  for (;;) if ((await reader.read()).done) break;
  const served = await env.gateway.waitForLog(`"served":{"userId":"${user.id}"`);
  assert.doesNotMatch(served, /"outcome":"client_aborted"/);
  const usage = await usageOf(user);
  assert.equal(usage.usage.operator.estimated_requests, 1);
  assert.ok(usage.usage.operator.output_tokens < MAX_OUTPUT, `${usage.usage.operator.output_tokens}`);
  assert.ok(usage.usage.operator.output_tokens > 0);
});

test("the user's own key, cut by the client: recorded at the estimate (never limited)", async () => {
  const user = await env.user({ openai: OPENAI_USER_KEY }, METERED_PLAN);
  env.openai.respondNext((_request, res) => startStream(res));
  const controller = new AbortController();
  await streamUntilText(user, controller);
  const closed = env.openai.nextAbortedResponse();
  controller.abort();
  await closed;
  const served = await env.gateway.waitForLog(`"served":{"userId":"${user.id}"`);
  assert.match(served, /"outcome":"client_aborted"/);
  const usage = await usageOf(user);
  assert.equal(usage.usage.byok.estimated_requests, 1);
  assert.ok(usage.usage.byok.output_tokens < MAX_OUTPUT, `${usage.usage.byok.output_tokens}`);
  assert.equal(usage.limits.find((limit) => limit.meter === "tokens")?.used, 0);
});

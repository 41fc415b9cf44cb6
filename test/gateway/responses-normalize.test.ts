/**
 * @module test/gateway/responses-normalize
 * A lenient OpenAI-compatible host behind `/v1/responses` (a real loopback server answering on the fake
 * provider's port): its Response without a function tool's `strict`, `object`, `status`, `error`,
 * `tool_choice`, … leaves the gateway valid against the published `Response`, whole and in every streamed
 * event (`ResponseStreamEvent`), through the raw wire and the official `openai` SDK; stream repairs are
 * counted in `byok_stream_repairs_total`; a conforming answer still leaves byte for byte; one that cannot be
 * repaired is the gateway's clean `upstream_error`.
 */
import assert from "node:assert/strict";
import type http from "node:http";
import { after, before, describe, test } from "node:test";
import type { RecordedRequest } from "../peers/fake-openai-provider.ts";
import { encodeResponsesEvent, fakeResponses } from "../peers/fake-responses-api.ts";
import { call } from "../support/gateway-client.ts";
import { LOOSE_TOOL, looseResponses } from "../support/loose-responses.ts";
import {
  assertMatchesSchema,
  assertValidErrorResponse,
  assertValidResponse,
  assertValidResponsesStream,
} from "../support/openai-schema.ts";
import { type ResponsesGateway, startResponsesGateway } from "../support/responses-gateway.ts";

type Json = Record<string, unknown>;

let env: ResponsesGateway;
before(async () => {
  env = await startResponsesGateway();
});
after(async () => {
  await env.close();
});

/** The next upstream call answers `answer(body)`: a whole Response (JSON), or events (SSE). */
function answerNext(answer: (body: Json) => { response?: unknown; events?: Json[]; raw?: string }): void {
  env.openai.respondNext((request: RecordedRequest, response: http.ServerResponse) => {
    const made = answer(request.body as Json);
    if (made.events !== undefined) {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.end(made.events.map(encodeResponsesEvent).join(""));
      return;
    }
    response.writeHead(200, { "content-type": "application/json" });
    response.end(made.raw ?? JSON.stringify(made.response));
  });
}

async function repairs(): Promise<Record<string, number>> {
  const metric = await env.gateway.byok.metrics.streamRepairs.get();
  return Object.fromEntries(
    metric.values
      .filter((value) => value.labels.provider === "openai")
      .map((value) => [value.labels.repair, value.value]),
  );
}

const TOOLS = [LOOSE_TOOL] as never;

describe("a lenient host's Responses through the pass-through", () => {
  test("whole: the raw answer and the SDK's both validate; a tool without strict gets strict: null", async () => {
    const user = await env.user();
    answerNext((body) => ({ response: looseResponses(body).response }));
    const raw = await call(env.gateway, "POST", "/v1/responses", {
      token: user.token,
      body: { model: "gpt", input: "weather?", tools: [LOOSE_TOOL] },
    });
    assert.equal(raw.status, 200);
    assertValidResponse(raw.body);
    assert.equal(((raw.body as Json).tools as Json[])[0]!.strict, null);

    answerNext((body) => ({ response: looseResponses(body).response }));
    const parsed = await user.openai.responses.create({ model: "gpt", input: "Say hello", tools: TOOLS });
    const wire = JSON.parse(JSON.stringify(parsed)) as Json;
    delete wire.output_text;
    assertValidResponse(wire);
    assert.equal(parsed.status, "completed");
  });

  test("stream: every event validates (raw and through the SDK), repairs counted", async () => {
    const user = await env.user();
    const before = await repairs();
    answerNext((body) => ({ events: looseResponses(body).events }));
    const raw = await fetch(`${env.gateway.url}/v1/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt", input: "weather?", tools: [LOOSE_TOOL], stream: true }),
    });
    const events = assertValidResponsesStream(await raw.text());
    assert.equal(events.at(-1)!.type, "response.completed");
    const after = await repairs();
    assert.equal(after.missing_field, (before.missing_field ?? 0) + 1, "once per stream and kind");

    answerNext((body) => ({ events: looseResponses(body).events }));
    const stream = user.openai.responses.stream({ model: "gpt", input: "Say hello" });
    for await (const event of stream) assertMatchesSchema("ResponseStreamEvent", event);
    const final = JSON.parse(JSON.stringify(await stream.finalResponse())) as Json;
    delete final.output_text;
    assertValidResponse(final);
  });

  test("a conforming answer and stream leave byte for byte", async () => {
    const user = await env.user();
    let sent = "";
    answerNext((body) => {
      sent = JSON.stringify(fakeResponses(body, 9, "sk-unused").response);
      return { raw: sent };
    });
    const whole = await fetch(`${env.gateway.url}/v1/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt", input: "hi", tools: [{ ...LOOSE_TOOL, strict: true }] }),
    });
    assert.equal(await whole.text(), sent);

    let events: Json[] = [];
    answerNext((body) => {
      events = fakeResponses(body, 9, "sk-unused").events as Json[];
      return { events };
    });
    const streamed = await fetch(`${env.gateway.url}/v1/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt", input: "hi", stream: true }),
    });
    assert.equal(await streamed.text(), events.map(encodeResponsesEvent).join(""));
  });

  test("what cannot be repaired is the gateway's upstream_error", async () => {
    const user = await env.user();
    answerNext((body) => ({
      response: { ...looseResponses(body).response, tools: [{ type: "function", strict: "yes" }] },
    }));
    const refused = await call(env.gateway, "POST", "/v1/responses", {
      token: user.token,
      body: { model: "gpt", input: "hi" },
    });
    assert.equal(refused.status, 502);
    assertValidErrorResponse(refused.body);
    assert.equal((refused.body as { error: Json }).error.type, "upstream_error");
  });
});

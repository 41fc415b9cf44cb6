/**
 * @module test/security/malformed-responses-stream
 * Through the real gateway, a Responses pass-through stream whose upstream sends a typed event that is no
 * JSON (cut short yet ending in `}`, a trailing comma in `response.completed`'s usage): the event never
 * reaches the client, the stream ends with `invalid_upstream_event`, and the call is recorded as failed.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
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

const { events: upstreamEvents } = fakeResponses({ model: GPT_MODEL, input: "hi" }, 7, "");
const sent = upstreamEvents.filter((event) => event.type !== "response.completed").map(encodeResponsesEvent);
const completed = encodeResponsesEvent(upstreamEvents.at(-1)!);

/** Typed events the byte check takes for conforming ones: one line of `data: {…}` ending in `}`. */
const MALFORMED: ReadonlyArray<readonly [string, string]> = [
  [
    "a response.completed whose usage has a trailing comma",
    completed.replace(/("total_tokens":\d+)\}/, "$1,}"),
  ],
  ["a response.completed cut short (its last `}` missing)", completed.replace(/\}\n\n$/, "\n\n")],
  [
    "a text delta cut short",
    encodeResponsesEvent({
      ...upstreamEvents.find((event) => event.type === "response.output_text.delta")!,
    }).replace(/\}\n\n$/, ',"logprobs":[{"token":"a"}\n\n'),
  ],
];

for (const [name, bad] of MALFORMED) {
  test(`Responses pass-through: ${name} ends the stream with invalid_upstream_event, recorded as a failure`, async () => {
    assert.notEqual(bad, completed, "the event was altered");
    const user = await env.user({ openai: OPENAI_USER_KEY });
    env.openai.respondNext((_request, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(sent.join("") + bad);
    });
    const served = env.gateway.waitForLog(`"served":{"userId":"${user.id}"`);
    const response = await call(env.gateway, "POST", "/v1/responses", {
      token: user.token,
      headers: user.headers,
      body: { model: "gpt_byok", input: "hi", stream: true },
    });
    assert.equal(response.status, 200);
    assert.ok(response.text.startsWith(sent.join("")), "the events before it relayed as received");
    const rest = response.text.slice(sent.join("").length);
    assert.match(rest, /^event: error\ndata: /, "then one error event, the invalid one never relayed");
    // The error event, then the Response the stream announced, marked failed (the spec's terminal event).
    const [errorEvent, failedEvent, ...more] = rest.split("\n\n").filter((block) => block !== "");
    assert.deepEqual(more, []);
    const error = JSON.parse(errorEvent!.slice(errorEvent!.indexOf("data: ") + 6)) as Record<string, unknown>;
    assert.equal(error.code, "invalid_upstream_event");
    assert.equal(error.sequence_number, sent.length);
    assert.match(failedEvent!, /^event: response\.failed\ndata: /);
    const failed = JSON.parse(failedEvent!.slice(failedEvent!.indexOf("data: ") + 6)) as {
      sequence_number: number;
      response: { status: string };
    };
    assert.equal(failed.sequence_number, sent.length + 1);
    assert.equal(failed.response.status, "failed");
    assert.match(await served, /"outcome":"upstream_error"/);
  });
}

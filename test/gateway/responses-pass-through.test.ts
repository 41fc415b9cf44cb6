/**
 * @module test/gateway/responses-pass-through
 * `POST /v1/responses` on OpenAI routes, passed through: the official SDK's `responses.create` and
 * `responses.stream` against the fake provider's Responses API, every body and event validated against
 * the published schemas; the route's model and defaults sent; a function-calling round trip; stored
 * state refused on the operator's key and passed on the user's; `prompt_cache_key` bound per user on the
 * operator's key; keys echoed upstream redacted; usage
 * metered and `max_output_tokens` reserved on an operator route's quota.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import { encodeResponsesEvent, fakeResponses } from "../peers/fake-responses-api.ts";
import { call, errorOf } from "../support/gateway-client.ts";
import { OPERATOR_KEYS } from "../support/model-gateway.ts";
import { assertFailedEnd, assertMatchesSchema, assertValidErrorResponse } from "../support/openai-schema.ts";
import {
  GPT_MODEL,
  METERED_PLAN,
  METERED_TOKENS,
  OPENAI_USER_KEY,
  type ResponsesGateway,
  startResponsesGateway,
} from "../support/responses-gateway.ts";

const WEATHER_TOOL = {
  type: "function" as const,
  name: "get_weather",
  description: "The weather in a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  strict: false,
};

let env: ResponsesGateway;
before(async () => {
  env = await startResponsesGateway();
});
after(async () => {
  await env.close();
});

/** The requests the fake OpenAI provider received while `action` ran. */
async function upstreamOf<T>(action: () => Promise<T>) {
  const before = env.openai.requests.length;
  const result = await action();
  return { result, requests: env.openai.requests.slice(before) };
}

/** Raw SSE events of a text: each `event:` name and parsed data. */
function events(text: string): Array<{ name: string | null; data: Record<string, unknown> }> {
  return text
    .split("\n\n")
    .filter((block) => block.trim() !== "")
    .map((block) => {
      const lines = block.split("\n");
      const name = lines.find((line) => line.startsWith("event: "))?.slice(7) ?? null;
      const data = lines.find((line) => line.startsWith("data: "))?.slice(6) ?? "null";
      return { name, data: JSON.parse(data) as Record<string, unknown> };
    });
}

describe("on the operator's OpenAI key", () => {
  test("responses.create: the Response as OpenAI sent it, the route's model and defaults upstream", async () => {
    const user = await env.user();
    const { result, requests } = await upstreamOf(() =>
      user.openai.responses
        .create({ model: "gpt", input: "Say hello", max_output_tokens: 64 })
        .withResponse(),
    );
    assertMatchesSchema("Response", result.data);
    assert.equal(result.data.output_text, `Hello from ${GPT_MODEL}`);
    assert.equal(result.response.headers.get("x-byok-route"), `openai/${GPT_MODEL}; source=operator`);
    assert.equal(requests.length, 1);
    const upstream = requests[0]!;
    assert.equal(upstream.path, "/v1/responses");
    assert.equal(upstream.headers.authorization, `Bearer ${OPERATOR_KEYS.openai}`);
    const body = upstream.body as Record<string, unknown>;
    assert.equal(body.model, GPT_MODEL);
    assert.equal(body.temperature, 0.2, "the route's params as defaults");
    assert.equal(body.input, "Say hello");
    assert.equal(body.max_output_tokens, 64);
  });

  test("prompt_cache_key: bound to each user here, the user's own key passes it unchanged", async () => {
    const sentBy = async (user: Awaited<ReturnType<ResponsesGateway["user"]>>, model: string) => {
      const { requests } = await upstreamOf(() =>
        user.openai.responses.create({ model, input: "hi", prompt_cache_key: "shared" }),
      );
      assert.equal(requests.length, 1);
      return (requests[0]!.body as Record<string, unknown>).prompt_cache_key;
    };
    const [one, two] = [await env.user(), await env.user()];
    const first = await sentBy(one, "gpt");
    const second = await sentBy(two, "gpt");
    assert.match(String(first), /^byok-[A-Za-z0-9_-]{32}$/);
    assert.notEqual(first, second, "two users never share a partition on the operator's account");
    assert.equal(await sentBy(one, "gpt"), first, "stable per user");
    const own = await env.user({ openai: OPENAI_USER_KEY });
    assert.equal(await sentBy(own, "gpt_byok"), "shared");
  });

  test("responses.stream: every event validates, finalResponse() is the completed Response", async () => {
    const user = await env.user();
    const stream = user.openai.responses.stream({ model: "gpt", input: "Say hello" });
    const seen: string[] = [];
    for await (const event of stream) {
      assertMatchesSchema("ResponseStreamEvent", event);
      seen.push(event.type);
    }
    const final = await stream.finalResponse();
    assertMatchesSchema("Response", final);
    assert.equal(final.output_text, `Hello from ${GPT_MODEL}`);
    assert.equal(seen[0], "response.created");
    assert.equal(seen.at(-1), "response.completed");
    assert.ok(seen.includes("response.output_text.delta"));
  });

  test("previous_response_id, conversation and item_reference are refused with the field named", async () => {
    const user = await env.user();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ previous_response_id: "resp_someone_else" }, "previous_response_id"],
      [{ conversation: "conv_someone_else" }, "conversation"],
      [
        {
          input: [
            { role: "user", content: "hi" },
            { type: "item_reference", id: "msg_x" },
          ],
        },
        "input[1]",
      ],
    ];
    for (const [fields, param] of cases) {
      const { result, requests } = await upstreamOf(() =>
        call(env.gateway, "POST", "/v1/responses", {
          token: user.token,
          body: { model: "gpt", input: "hi", ...fields },
        }),
      );
      assert.equal(result.status, 400, result.text);
      assertValidErrorResponse(result.body);
      const error = errorOf(result);
      assert.equal(error.type, "invalid_request");
      assert.equal(error.code, "stateful_request_refused");
      assert.equal(error.param, param);
      assert.equal(requests.length, 0, "nothing went upstream");
    }
  });

  test("usage is metered against the plan; max_output_tokens is what the call reserves", async () => {
    const user = await env.user({}, METERED_PLAN);
    const created = await user.openai.responses.create({ model: "gpt", input: "one two three" });
    const spent = (created.usage?.input_tokens ?? 0) + (created.usage?.output_tokens ?? 0);
    assert.ok(spent > 0);
    const report = await call(env.gateway, "GET", "/v1/usage", { token: user.token });
    const limit = (report.body as { limits: Array<{ meter: string; used: number }> }).limits.find(
      (item) => item.meter === "tokens",
    );
    assert.equal(limit?.used, spent, "the provider's reported usage settled on the quota");
    const { result, requests } = await upstreamOf(() =>
      call(env.gateway, "POST", "/v1/responses", {
        token: user.token,
        body: { model: "gpt", input: "hi", max_output_tokens: METERED_TOKENS },
      }),
    );
    assert.equal(result.status, 402, result.text);
    assert.equal(errorOf(result).type, "quota_exceeded");
    assert.equal(requests.length, 0);
  });

  test("a streamed call's usage is metered from response.completed", async () => {
    const user = await env.user({}, METERED_PLAN);
    const stream = user.openai.responses.stream({ model: "gpt", input: "one two three" });
    const final = await stream.finalResponse();
    const spent = (final.usage?.input_tokens ?? 0) + (final.usage?.output_tokens ?? 0);
    // The call settles when the upstream stream finishes, before its last bytes reach the client.
    const report = await call(env.gateway, "GET", "/v1/usage", { token: user.token });
    const used = (report.body as { limits: Array<{ meter: string; used: number }> }).limits.find(
      (item) => item.meter === "tokens",
    )?.used;
    assert.equal(used, spent);
  });
});

describe("on the user's own OpenAI key", () => {
  test("a function-calling round trip: function_call items out, function_call_output back in", async () => {
    const user = await env.user({ openai: OPENAI_USER_KEY });
    const first = await user.openai.responses.create({
      model: "gpt_byok",
      input: "Weather in Paris?",
      tools: [WEATHER_TOOL],
    });
    assertMatchesSchema("Response", first);
    const calls = first.output.filter((item) => item.type === "function_call");
    assert.equal(calls.length, 1);
    const call0 = calls[0]!;
    assert.equal(call0.type === "function_call" && call0.name, "get_weather");
    assert.deepEqual(JSON.parse(call0.type === "function_call" ? call0.arguments : "null"), {
      city: "Paris",
    });
    const { result: second, requests } = await upstreamOf(() =>
      user.openai.responses.create({
        model: "gpt_byok",
        tools: [WEATHER_TOOL],
        input: [
          { role: "user", content: "Weather in Paris?" },
          ...first.output.filter((item) => item.type === "function_call"),
          {
            type: "function_call_output",
            call_id: call0.type === "function_call" ? call0.call_id : "",
            output: '{"sky":"clear"}',
          },
        ],
      }),
    );
    assertMatchesSchema("Response", second);
    assert.equal(second.output_text, `Hello from ${GPT_MODEL}`);
    assert.equal(requests[0]?.headers.authorization, `Bearer ${OPENAI_USER_KEY}`);
  });

  test("previous_response_id and store pass through unchanged (the user's own account)", async () => {
    const user = await env.user({ openai: OPENAI_USER_KEY });
    const { result, requests } = await upstreamOf(() =>
      user.openai.responses.create({
        model: "gpt_byok",
        input: "again",
        previous_response_id: "resp_mine",
        store: true,
      }),
    );
    assertMatchesSchema("Response", result);
    const body = requests[0]?.body as Record<string, unknown>;
    assert.equal(body.previous_response_id, "resp_mine");
    assert.equal(body.store, true);
  });

  test("a key echoed in response.failed or an error event never reaches the client", async () => {
    const user = await env.user({ openai: OPENAI_USER_KEY });
    for (const input of ["echo-key-failed", "echo-key-error"]) {
      const response = await call(env.gateway, "POST", "/v1/responses", {
        token: user.token,
        headers: user.headers,
        body: { model: "gpt_byok", input, stream: true },
      });
      assert.equal(response.status, 200);
      assert.equal(response.text.includes(OPENAI_USER_KEY), false, response.text);
      const relayed = events(response.text);
      for (const event of relayed) {
        assertMatchesSchema("ResponseStreamEvent", event.data);
        assert.equal(event.name, event.data.type, "the event line names the data's type");
      }
      const last = relayed.at(-1)!;
      assert.equal(last.data.type, input === "echo-key-failed" ? "response.failed" : "error");
      assert.match(JSON.stringify(last.data), /Upstream refused key/);
    }
    // Through the SDK: the relayed error event, its message redacted.
    const stream = user.openai.responses.stream({ model: "gpt_byok", input: "echo-key-error" });
    const types: string[] = [];
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "error") assert.equal(event.message.includes(OPENAI_USER_KEY), false, event.message);
    }
    assert.equal(types.at(-1), "error");
    const whole = await call(env.gateway, "POST", "/v1/responses", {
      token: user.token,
      headers: user.headers,
      body: { model: "gpt_byok", input: "echo-key-failed" },
    });
    assert.equal(whole.status, 200);
    assert.equal(whole.text.includes(OPENAI_USER_KEY), false, whole.text);
    assertMatchesSchema("Response", whole.body);
  });
});

test("the SDK sees an upstream 4xx as the provider's error, keys redacted", async () => {
  const user = await env.user({ openai: OPENAI_USER_KEY });
  env.openai.failNext(400, { message: "Bad key {{key}} for this model", code: "model_not_found" });
  const error = await user.openai.responses.create({ model: "gpt_byok", input: "hi" }).then(
    () => null,
    (thrown: unknown) => thrown,
  );
  assert.ok(error instanceof OpenAI.BadRequestError);
  assert.equal(String(error.message).includes(OPENAI_USER_KEY), false);
});

test("an upstream that dies mid-stream: the events relayed, then error and response.failed numbered after them", async () => {
  const user = await env.user({ openai: OPENAI_USER_KEY });
  const { events: upstreamEvents } = fakeResponses({ model: GPT_MODEL, input: "hi" }, 99, "");
  const sent = upstreamEvents.slice(0, 5);
  env.openai.respondNext((_request, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(sent.map(encodeResponsesEvent).join(""), () => res.destroy());
  });
  const response = await call(env.gateway, "POST", "/v1/responses", {
    token: user.token,
    headers: user.headers,
    body: { model: "gpt_byok", input: "hi", stream: true },
  });
  assert.equal(response.status, 200);
  assert.ok(response.text.startsWith(sent.map(encodeResponsesEvent).join("")), "relayed as received");
  const relayed = events(response.text);
  assert.equal(relayed.length, sent.length + 2);
  const last = relayed.at(-2)!;
  assert.equal(last.name, "error");
  assertMatchesSchema("ResponseErrorEvent", last.data);
  assert.equal(last.data.sequence_number, sent.length);
  assert.equal((last.data.error as { type: string }).type, "upstream_error");
  // The terminal event: the Response the upstream announced, failed (ResponseFailedEvent).
  const failed = relayed.at(-1)!;
  assert.equal(failed.name, "response.failed");
  assertMatchesSchema("ResponseStreamEvent", failed.data);
  const { response: snapshot } = assertFailedEnd(relayed.map((event) => event.data));
  assert.equal(failed.data.sequence_number, sent.length + 1);
  const created = sent[0] as { type: string; response: { id: string; model: string } };
  assert.equal(created.type, "response.created");
  assert.equal(snapshot.id, created.response.id);
  assert.equal(snapshot.model, created.response.model);
  assert.equal(snapshot.error.code, "server_error");

  // Through the SDK: finalResponse() rejects with the API error (an OpenAIError), not a half Response.
  env.openai.respondNext((_request, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(sent.map(encodeResponsesEvent).join(""), () => res.destroy());
  });
  const error = await user.openai.responses
    .stream({ model: "gpt_byok", input: "hi" })
    .finalResponse()
    .then(
      () => null,
      (thrown: unknown) => thrown,
    );
  assert.ok(error instanceof OpenAI.APIError, String(error));
  assert.equal(error.type, "upstream_error");
  assert.match(error.message, /provider/);
});

/**
 * @module test/gateway/responses-operator-account
 * `POST /v1/responses` on the operator's key: whatever would use or bill the operator's OpenAI account
 * (stored files, vector stores, MCP servers, containers, built-in tools, stored prompts, background runs,
 * tool-output `include`s, priority tiers, stored reasoning items) refused with `param` at the field and
 * nothing sent upstream, on the pass-through and the translated (Anthropic) routes; `store: false` sent
 * when absent; `safety_identifier`/`user` replaced by a per-user identifier; on the user's own key the
 * same body passes through unchanged.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { call, errorOf } from "../support/gateway-client.ts";
import { assertValidErrorResponse } from "../support/openai-schema.ts";
import {
  METERED_PLAN,
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

const userText = { role: "user", content: [{ type: "input_text", text: "summarize" }] };

/** Each request (added to `{model, input: [userText]}`) and the field it is refused at. */
const REFUSED: ReadonlyArray<readonly [string, Record<string, unknown>, string, string]> = [
  [
    "an input_file by file_id",
    {
      input: [
        {
          role: "user",
          content: [
            { type: "input_text", text: "summarize" },
            { type: "input_file", file_id: "file-OPERATORS_PRIVATE_FILE" },
          ],
        },
      ],
    },
    "input[0].content[1].file_id",
    "operator_account_refused",
  ],
  [
    "an input_image by file_id",
    { input: [userText, { role: "user", content: [{ type: "input_image", file_id: "file-IMG" }] }] },
    "input[1].content[0].file_id",
    "operator_account_refused",
  ],
  [
    "an input_file by URL",
    {
      input: [{ role: "user", content: [{ type: "input_file", file_url: "https://example.com/a.pdf" }] }],
    },
    "input[0].content[0].type",
    "operator_account_refused",
  ],
  [
    "a reasoning item referenced by id",
    { input: [userText, { type: "reasoning", id: "rs_other_users_item", summary: [] }] },
    "input[1].encrypted_content",
    "stateful_request_refused",
  ],
  [
    "a built-in tool call item",
    { input: [userText, { type: "web_search_call", id: "ws_1", status: "completed" }] },
    "input[1].type",
    "operator_account_refused",
  ],
  [
    "file_search",
    { tools: [{ type: "file_search", vector_store_ids: ["vs_operator_kb"] }] },
    "tools[0].type",
    "operator_account_refused",
  ],
  [
    "an MCP server of the user's choosing",
    {
      tools: [
        { type: "function", name: "f", parameters: { type: "object", properties: {} } },
        { type: "mcp", server_label: "x", server_url: "https://attacker.example/mcp" },
      ],
    },
    "tools[1].type",
    "operator_account_refused",
  ],
  [
    "code_interpreter",
    { tools: [{ type: "code_interpreter", container: "cntr_other_user" }] },
    "tools[0].type",
    "operator_account_refused",
  ],
  ["web_search", { tools: [{ type: "web_search_preview" }] }, "tools[0].type", "operator_account_refused"],
  [
    "image_generation",
    { tools: [{ type: "image_generation" }] },
    "tools[0].type",
    "operator_account_refused",
  ],
  [
    "a built-in tool_choice",
    { tool_choice: { type: "file_search" } },
    "tool_choice",
    "operator_account_refused",
  ],
  [
    "a stored prompt",
    { prompt: { id: "pmpt_operator", variables: {} } },
    "prompt",
    "operator_account_refused",
  ],
  ["background", { background: true }, "background", "operator_account_refused"],
  [
    "a field outside the published spec",
    { future_tool_budget: 9 },
    "future_tool_budget",
    "operator_account_refused",
  ],
  ["store: true", { store: true }, "store", "stateful_request_refused"],
  ["a priority tier", { service_tier: "priority" }, "service_tier", "operator_account_refused"],
  [
    "a tool output include",
    { include: ["reasoning.encrypted_content", "file_search_call.results"] },
    "include[1]",
    "operator_account_refused",
  ],
];

describe("operator key, passed through to OpenAI", () => {
  for (const [what, fields, param, code] of REFUSED) {
    test(`refused: ${what} (param ${param}), nothing sent upstream or reserved`, async () => {
      const user = await env.user({}, METERED_PLAN);
      const before = env.openai.requests.length;
      const result = await call(env.gateway, "POST", "/v1/responses", {
        token: user.token,
        body: { model: "gpt", input: [userText], ...fields },
      });
      assert.equal(result.status, 400, result.text);
      assertValidErrorResponse(result.body);
      const error = errorOf(result);
      assert.equal(error.type, "invalid_request");
      assert.equal(error.code, code);
      assert.equal(error.param, param);
      assert.equal(env.openai.requests.length, before, "nothing went upstream");
      const usage = await call(env.gateway, "GET", "/v1/usage", { token: user.token });
      const limits = (usage.body as { limits: Array<{ meter: string; used: number }> }).limits;
      assert.equal(limits.find((limit) => limit.meter === "tokens")?.used, 0, "nothing charged");
    });
  }

  test("allowed: function tools, encrypted reasoning, images by URL, safe includes and tiers; store: false sent when absent, identifiers replaced", async () => {
    const user = await env.user({}, METERED_PLAN);
    const other = await env.user({}, METERED_PLAN);
    const body = {
      model: "gpt",
      input: [
        {
          role: "user",
          content: [
            { type: "input_text", text: "what is this?" },
            { type: "input_image", image_url: "https://example.com/a.png", detail: "auto" },
          ],
        },
        { type: "reasoning", id: "rs_1", summary: [], encrypted_content: "gAAAA-opaque" },
        { type: "function_call", call_id: "call_1", name: "lookup", arguments: "{}" },
        { type: "function_call_output", call_id: "call_1", output: "42" },
        { role: "assistant", content: [{ type: "output_text", text: "ok", annotations: [] }] },
      ],
      tools: [{ type: "function", name: "lookup", parameters: { type: "object", properties: {} } }],
      tool_choice: "auto",
      include: ["reasoning.encrypted_content", "message.output_text.logprobs"],
      service_tier: "default",
      safety_identifier: `pin-it-on-${other.id}`,
      user: other.id,
    };
    const before = env.openai.requests.length;
    const result = await call(env.gateway, "POST", "/v1/responses", { token: user.token, body });
    assert.equal(result.status, 200, result.text);
    const sent = env.openai.requests.slice(before);
    assert.equal(sent.length, 1);
    const upstream = sent[0]!.body as Record<string, unknown>;
    assert.equal(upstream.store, false, "the operator's account keeps nothing");
    assert.match(String(upstream.safety_identifier), /^byok-user-[\w-]{32}$/);
    assert.equal(upstream.user, upstream.safety_identifier);
    assert.ok(!String(upstream.safety_identifier).includes(user.id), "the user id itself is not sent");
    assert.deepEqual(upstream.input, body.input);
    assert.deepEqual(upstream.include, body.include);

    // The identifier is the user's, whatever they send: another user gets another one.
    const second = env.openai.requests.length;
    const theirs = await call(env.gateway, "POST", "/v1/responses", {
      token: other.token,
      body: { model: "gpt", input: "hi", store: false },
    });
    assert.equal(theirs.status, 200, theirs.text);
    const otherUpstream = env.openai.requests[second]!.body as Record<string, unknown>;
    assert.equal(otherUpstream.store, false);
    assert.notEqual(otherUpstream.safety_identifier, upstream.safety_identifier);
  });
});

describe("operator key, translated to Anthropic", () => {
  test("the same allow list refuses before anything is sent; a sent safety_identifier is replaced", async () => {
    const user = await env.user({}, METERED_PLAN);
    const before = env.anthropic.requests.length;
    const refused = await call(env.gateway, "POST", "/v1/responses", {
      token: user.token,
      body: { model: "claude", input: "hi", service_tier: "priority" },
    });
    assert.equal(refused.status, 400, refused.text);
    assert.equal(errorOf(refused).code, "operator_account_refused");
    assert.equal(errorOf(refused).param, "service_tier");
    assert.equal(env.anthropic.requests.length, before, "nothing went upstream");

    const other = await env.user({}, METERED_PLAN);
    const served = await call(env.gateway, "POST", "/v1/responses", {
      token: user.token,
      body: {
        model: "claude",
        input: "hi",
        max_output_tokens: 64,
        safety_identifier: `pin-it-on-${other.id}`,
      },
    });
    assert.equal(served.status, 200, served.text);
    const sent = env.anthropic.requests[before]!.body as { metadata?: { user_id?: string } };
    assert.match(
      sent.metadata?.user_id ?? "",
      /^byok-user-[\w-]{32}$/,
      "the per-user identifier, not the client's",
    );
  });
});

describe("the user's own key", () => {
  test("the same body passes through unchanged (it is their account)", async () => {
    const user = await env.user({ openai: OPENAI_USER_KEY });
    const body = {
      model: "gpt",
      input: [userText],
      tools: [{ type: "file_search", vector_store_ids: ["vs_users_own"] }],
      include: ["file_search_call.results"],
      service_tier: "priority",
      safety_identifier: "the-users-own-id",
      user: "the-users-own-user",
    };
    const before = env.openai.requests.length;
    const result = await call(env.gateway, "POST", "/v1/responses", {
      token: user.token,
      headers: user.headers,
      body,
    });
    assert.equal(result.status, 200, result.text);
    const upstream = env.openai.requests[before]!.body as Record<string, unknown>;
    assert.equal(env.openai.requests[before]!.headers.authorization, `Bearer ${OPENAI_USER_KEY}`);
    assert.equal(upstream.store, undefined, "store left as the client sent it");
    assert.equal(upstream.safety_identifier, "the-users-own-id");
    assert.equal(upstream.user, "the-users-own-user");
    assert.deepEqual(upstream.tools, body.tools);
    assert.deepEqual(upstream.include, body.include);
    assert.equal(upstream.service_tier, "priority");
  });
});

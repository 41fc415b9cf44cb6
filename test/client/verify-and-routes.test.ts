/**
 * @module test/client/verify-and-routes
 * The kit's verify and routes calls against the contract (issue #13), served by a loopback stub of the gateway:
 * the headers sent, the answers read, and 400, 429 and non-JSON refusals as typed errors.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ByokClientError } from "../../client/src/byok-client-error.ts";
import { createByokClient } from "../../client/src/create-byok-client.ts";
import type { RoutePreview, VerifyResults } from "../../client/src/gateway-types.ts";
import { type StubServer, startStubServer } from "../support/stub-server.ts";

const TOKEN = "bst_settings-token-for-the-stub";
let stub: StubServer;

before(async () => {
  stub = await startStubServer();
});
after(() => stub.close());

const VERIFIED: VerifyResults = {
  results: {
    openai: { status: "valid", message: null, latencyMs: 12, httpStatus: 200, egressReason: null },
    anthropic: {
      status: "invalid",
      message: "invalid x-api-key",
      latencyMs: 9,
      httpStatus: 401,
      egressReason: null,
    },
    custom: {
      status: "invalid",
      message: "The custom base URL is not allowed.",
      latencyMs: 0,
      httpStatus: null,
      egressReason: "address_denied",
    },
  },
};

const PREVIEW: RoutePreview = {
  features: [
    {
      feature: "summary",
      aliases: ["gpt-4o-mini"],
      operation: "chat",
      source: "byok",
      provider: "openai",
      model: "gpt-4.1-mini",
      reason: null,
    },
    {
      feature: "notes",
      aliases: [],
      operation: "stt",
      source: "operator",
      provider: "deepgram",
      model: "nova-3",
      reason: null,
    },
    {
      feature: "premium",
      aliases: [],
      operation: "chat",
      source: null,
      provider: null,
      model: null,
      reason: "byok_required",
    },
  ],
};

const client = () => createByokClient({ baseUrl: stub.url, token: TOKEN });

test("verify posts the keys in X-BYOK-* headers (custom URL and model too) and returns the results", async () => {
  stub.answer(() => ({ status: 200, body: VERIFIED }));
  const results = await client().verify({
    openai: " sk-verify-openai ",
    anthropic: "sk-ant-verify",
    custom: "sk-custom-verify",
    customBaseUrl: "https://models.example.test/v1",
    customModel: "llama",
    gemini: "   ",
  });
  assert.deepEqual(results, VERIFIED);
  const sent = stub.requests.at(-1)!;
  assert.equal(sent.method, "POST");
  assert.equal(sent.path, "/v1/byok/verify");
  assert.equal(sent.headers.authorization, `Bearer ${TOKEN}`);
  assert.equal(sent.headers["x-byok-openai"], "sk-verify-openai");
  assert.equal(sent.headers["x-byok-anthropic"], "sk-ant-verify");
  assert.equal(sent.headers["x-byok-custom"], "sk-custom-verify");
  assert.equal(sent.headers["x-byok-custom-base-url"], "https://models.example.test/v1");
  assert.equal(sent.headers["x-byok-custom-model"], "llama");
  assert.equal(sent.headers["x-byok-gemini"], undefined, "an empty key is not sent");
  assert.equal(sent.body, "", "keys travel in headers only");
});

test("verify with no keys reaches the gateway's 400 invalid_request as a typed error", async () => {
  stub.answer((request) =>
    Object.keys(request.headers).some((name) => name.startsWith("x-byok-"))
      ? { status: 500, body: "unexpected keys" }
      : {
          status: 400,
          body: {
            error: { message: "No keys presented.", type: "invalid_request", param: null, code: null },
          },
        },
  );
  const error = await client()
    .verify({})
    .catch((caught: unknown) => caught);
  assert.ok(error instanceof ByokClientError);
  assert.equal(error.status, 400);
  assert.equal(error.type, "invalid_request");
  assert.equal(error.message, "No keys presented.");
  assert.equal(error.param, null);
});

test("a rate-limited verify carries Retry-After in seconds", async () => {
  stub.answer(() => ({
    status: 429,
    headers: { "retry-after": "42" },
    body: {
      error: {
        message: "Too many verifications.",
        type: "rate_limited",
        param: null,
        code: "requests_per_minute",
      },
    },
  }));
  const error = await client()
    .verify({ openai: "sk-verify-openai" })
    .catch((caught: unknown) => caught);
  assert.ok(error instanceof ByokClientError);
  assert.equal(error.status, 429);
  assert.equal(error.type, "rate_limited");
  assert.equal(error.code, "requests_per_minute");
  assert.equal(error.retryAfterSeconds, 42);
});

test("routes gets the preview for the presented keys", async () => {
  stub.answer(() => ({ status: 200, body: PREVIEW }));
  const preview = await client().routes({ openai: "sk-routes-openai" });
  assert.deepEqual(preview, PREVIEW);
  const sent = stub.requests.at(-1)!;
  assert.equal(sent.method, "GET");
  assert.equal(sent.path, "/v1/byok/routes");
  assert.equal(sent.headers["x-byok-openai"], "sk-routes-openai");
  assert.equal(sent.headers.authorization, `Bearer ${TOKEN}`);
});

test("an answer without the error envelope (a proxy's 502 page) is unexpected_response", async () => {
  stub.answer(() => ({ status: 502, body: "<html>Bad gateway</html>" }));
  const error = await client()
    .routes({ openai: "sk-routes-openai" })
    .catch((caught: unknown) => caught);
  assert.ok(error instanceof ByokClientError);
  assert.equal(error.status, 502);
  assert.equal(error.type, "unexpected_response");
  stub.answer(() => ({ status: 200, body: "not json" }));
  const unreadable = await client()
    .routes({})
    .catch((caught: unknown) => caught);
  assert.ok(unreadable instanceof ByokClientError);
  assert.equal(unreadable.type, "unexpected_response");
});

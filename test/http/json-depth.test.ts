/** @module test/http/json-depth
 * Issue 12, finding 3: a JSON body nested deeper than `server.maxJsonDepth` answers `400 invalid_request`
 * naming the limit, on every route that takes JSON, before any other work but authentication; deeply nested
 * bodies never reach a serializer (they answered `500 internal_error` before). */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { call, type JsonResponse } from "../support/gateway-client.ts";
import { type GatewayUser, type ModelGateway, startModelGateway } from "../support/model-gateway.ts";
import { ADMIN_TOKEN } from "../support/start-gateway.ts";

const nestedArrays = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
const nestedObjects = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
const hi = '[{"role":"user","content":"hi"}]';

/** The gateway type, code and message out of any of the three dialect envelopes. */
function readRefusal(body: unknown): { type: unknown; code: unknown; message: unknown } {
  const record = body as Record<string, unknown>;
  if (typeof record.err_code === "string")
    return { type: record.err_code, code: record.code, message: record.err_msg };
  const error = record.error as Record<string, unknown>;
  return { type: error.gateway_type ?? error.type, code: error.code, message: error.message };
}

function assertDepthRefused(response: JsonResponse, limit: number): void {
  assert.equal(response.status, 400, response.text);
  const error = readRefusal(response.body);
  assert.equal(error.type, "invalid_request", response.text);
  assert.equal(error.code, "json_too_deep");
  assert.match(String(error.message), new RegExp(`deeper than ${limit} levels \\(server\\.maxJsonDepth\\)`));
}

describe("JSON depth at intake (default limit)", () => {
  let env: ModelGateway;
  let user: GatewayUser;
  before(async () => {
    env = await startModelGateway();
    user = await env.user({ openai: "sk-user-openai-1111111111111111" });
  });
  after(() => env.close());

  const post = (path: string, rawBody: string, auth: Record<string, string> = {}) =>
    call(env.gateway, "POST", path, {
      headers: { authorization: `Bearer ${user.token}`, ...user.headers, ...auth },
      rawBody,
    });

  test("100k nested arrays in a chat field (201 KB): 400 naming the limit, nothing sent upstream", async () => {
    const before = env.fakes.openai.requests.length;
    const body = `{"model":"summary","messages":${hi},"metadata":${nestedArrays(100_000)}}`;
    assert.ok(body.length < 1024 * 1024, "under the body limit");
    assertDepthRefused(await post("/v1/chat/completions", body), 128);
    assert.equal(env.fakes.openai.requests.length, before);
  });

  test("a 50k-nested tool_use.input on /v1/messages: 400", async () => {
    const body = `{"model":"summary","max_tokens":8,"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":${nestedObjects(50_000)}}]}]}`;
    const response = await post("/v1/messages", body);
    assert.equal(response.status, 400, response.text);
    const error = (
      response.body as { type: string; error: { type: string; gateway_type: string; message: string } }
    ).error;
    assert.equal(error.gateway_type, "invalid_request");
    assert.equal(error.type, "invalid_request_error");
    assert.match(error.message, /server\.maxJsonDepth/);
  });

  for (const [name, path] of [
    ["embeddings", "/v1/embeddings"],
    ["count_tokens", "/v1/messages/count_tokens"],
    ["listen's JSON body", "/v1/listen?model=nova-3"],
    ["listen tickets", "/v1/listen/tickets"],
    ["heartbeat", "/v1/byok/heartbeat"],
  ] as const) {
    test(`${name}: 400`, async () => {
      assertDepthRefused(await post(path, `{"model":"embed","input":${nestedArrays(1000)}}`), 128);
    });
  }

  test("enrollment (PUT): 400", async () => {
    const response = await call(env.gateway, "PUT", "/v1/byok/enrollment", {
      token: user.token,
      rawBody: `{"fingerprints":${nestedObjects(5000)}}`,
    });
    assertDepthRefused(response, 128);
  });

  test("admin routes: 400 (after the admin token is checked)", async () => {
    const deep = `{"id":"deep-user","plan":${nestedArrays(500)}}`;
    const unauthenticated = await call(env.gateway, "POST", "/admin/users", { rawBody: deep });
    assert.equal(unauthenticated.status, 401, "authentication runs first");
    const response = await call(env.gateway, "POST", "/admin/users", {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      rawBody: deep,
    });
    assertDepthRefused(response, 128);
  });

  test("a user route refuses an unauthenticated deep body with 401, not 400", async () => {
    const response = await call(env.gateway, "POST", "/v1/chat/completions", {
      rawBody: `{"model":"summary","metadata":${nestedArrays(100_000)}}`,
    });
    assert.equal(response.status, 401, response.text);
  });

  test("nesting up to the limit is served; brackets inside strings do not count", async () => {
    // The top-level object is depth 1: 127 arrays inside it reach exactly 128.
    const atLimit = await post(
      "/v1/chat/completions",
      `{"model":"summary","messages":${hi},"metadata":{"x":${nestedArrays(126)}}}`,
    );
    assert.equal(atLimit.status, 200, atLimit.text);
    const strings = await post(
      "/v1/chat/completions",
      JSON.stringify({ model: "summary", messages: [{ role: "user", content: `${"[{".repeat(5000)}"\\` }] }),
    );
    assert.equal(strings.status, 200, strings.text);
  });

  test("prototype-poisoning keys are refused as invalid JSON, as Fastify's own parser did", async () => {
    const response = await post(
      "/v1/chat/completions",
      `{"model":"summary","messages":${hi},"__proto__":{"x":1}}`,
    );
    assert.equal(response.status, 400, response.text);
    assert.equal((response.body as { error: { type: string } }).error.type, "invalid_json");
  });
});

describe("JSON depth at intake (server.maxJsonDepth: 8)", () => {
  let env: ModelGateway;
  let user: GatewayUser;
  before(async () => {
    env = await startModelGateway({ config: { server: { maxJsonDepth: 8 } } });
    user = await env.user({ openai: "sk-user-openai-1111111111111111" });
  });
  after(() => env.close());

  test("depth 8 is served, depth 9 is refused naming 8", async () => {
    const send = (depth: number) =>
      call(env.gateway, "POST", "/v1/chat/completions", {
        token: user.token,
        headers: user.headers,
        // object (1) → metadata object (2) → arrays up to `depth`
        rawBody: `{"model":"summary","messages":${hi},"metadata":{"x":${nestedArrays(depth - 2)}}}`,
      });
    assert.equal((await send(8)).status, 200);
    assertDepthRefused(await send(9), 8);
  });
});

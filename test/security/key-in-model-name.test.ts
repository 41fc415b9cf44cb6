/**
 * @module test/security/key-in-model-name
 * A key in play (sent in its X-BYOK-* header) that the same request also names as its model (`model`
 * itself, a direct `provider/<key>`, `GET /v1/models/<key>`, a listen `?model=`) is refused with
 * `invalid_request` (param `model`) before it is routed, and an `X-BYOK-Custom-Model` holding one with
 * `invalid_byok_header` (param `x-byok-custom-model`): it reaches no response header, error
 * body, log line, upstream, database or Redis. Before, the gateway wrote it into X-BYOK-Route, its
 * model_not_found messages, the served-call log line and `usage_records.model`.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { call } from "../support/gateway-client.ts";
import { type ModelGateway, startModelGateway } from "../support/model-gateway.ts";
import { createTestSchema, type TestSchema } from "../support/postgres.ts";
import { openTestRedis, type TestRedis } from "../support/test-redis.ts";

const CUSTOM_KEY = "cstm-CANARYcustomModel-ZXq91";
const OPENAI_KEY = "sk-proj-CANARYopenaiModel-Q1w2E3r4T5y6ZXq92";
const MARK = "CANARY";

const chat = (model: string, stream = false) => ({
  model,
  stream,
  max_tokens: 5,
  messages: [{ role: "user", content: "hi" }],
});

function dataFilesHold(dataDir: string, needle: string): string[] {
  return readdirSync(dataDir).filter((file) => readFileSync(join(dataDir, file)).includes(needle));
}

describe("a key in play used as a model name (SQLite)", () => {
  let mg: ModelGateway;
  let token: string;
  let headers: Record<string, string>;
  before(async () => {
    mg = await startModelGateway();
    const user = await mg.user(
      { openai: OPENAI_KEY, custom: CUSTOM_KEY },
      { baseUrl: mg.fakes.custom.baseUrl, model: "my-model" },
    );
    token = user.token;
    headers = user.headers;
  });
  after(() => mg.close());

  for (const stream of [false, true]) {
    test(`X-BYOK-Custom-Model = the custom key: refused, nothing echoed or sent (stream=${stream})`, async () => {
      const sentBefore = mg.fakes.custom.requests.length;
      const response = await fetch(`${mg.gateway.url}/v1/chat/completions`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          ...headers,
          "x-byok-custom-model": CUSTOM_KEY,
        },
        body: JSON.stringify(chat("agent", stream)),
      });
      const body = await response.text();
      assert.equal(response.status, 400);
      // Refused with the header it came in (an unusable X-BYOK-Custom-Model), before routing.
      assert.equal((JSON.parse(body) as { error: { param?: string } }).error.param, "x-byok-custom-model");
      assert.ok(!body.includes(MARK), "the error does not echo the key");
      assert.ok(!(response.headers.get("x-byok-route") ?? "").includes(MARK), "no X-BYOK-Route echo");
      assert.equal(mg.fakes.custom.requests.length, sentBefore, "nothing sent upstream");
    });
  }

  test("direct openai/<key> with that key in X-BYOK-OpenAI: refused, nothing echoed", async () => {
    const response = await call(mg.gateway, "POST", "/v1/chat/completions", {
      token,
      headers,
      body: chat(`openai/${OPENAI_KEY}`),
    });
    assert.equal(response.status, 400);
    assert.ok(!response.text.includes(MARK));
    assert.ok(!(response.headers.get("x-byok-route") ?? "").includes(MARK));
  });

  test("GET /v1/models/<a key in play>: refused, nothing echoed", async () => {
    const response = await call(mg.gateway, "GET", `/v1/models/${OPENAI_KEY}`, { token, headers });
    assert.equal(response.status, 400);
    assert.ok(!response.text.includes(MARK));
  });

  for (const [path, body, extra] of [
    ["/v1/chat/completions", chat(OPENAI_KEY), {}],
    ["/v1/messages", chat(OPENAI_KEY), { "anthropic-version": "2023-06-01" }],
    ["/v1/responses", { model: OPENAI_KEY, input: "hi" }, {}],
    ["/v1/embeddings", { model: OPENAI_KEY, input: "hi" }, {}],
  ] as const) {
    test(`model = a key in play on ${path}: the error body does not echo it`, async () => {
      const response = await call(mg.gateway, "POST", path, {
        token,
        headers: { ...headers, ...extra },
        body,
      });
      assert.ok(response.status >= 400);
      assert.ok(!response.text.includes(MARK), `error echoes the key: ${response.text.slice(0, 200)}`);
    });
  }

  test("no log line (trace level) holds the key", async () => {
    await call(mg.gateway, "POST", "/v1/chat/completions", {
      token,
      headers: { ...headers, "x-byok-custom-model": CUSTOM_KEY },
      body: chat("agent"),
    });
    const leaking = mg.gateway.logs.filter((line) => line.includes(MARK));
    assert.deepEqual(
      leaking.map((line) => line.slice(0, 300)),
      [],
    );
  });

  test("the SQLite files do not hold the key (usage_records.model)", async () => {
    await call(mg.gateway, "POST", "/v1/chat/completions", {
      token,
      headers: { ...headers, "x-byok-custom-model": CUSTOM_KEY },
      body: chat("agent"),
    });
    await mg.gateway.byok.close(); // flushes the usage recorder
    assert.deepEqual(dataFilesHold(mg.gateway.dataDir, MARK), []);
  });
});

describe("a key in play used as a model name (PostgreSQL + Redis)", () => {
  let mg: ModelGateway;
  let schema: TestSchema;
  let redis: TestRedis;
  before(async () => {
    schema = await createTestSchema();
    redis = await openTestRedis();
    mg = await startModelGateway({
      config: {
        storage: { postgres: { url: schema.url, schema: schema.schema } },
        redis: { url: redis.url, keyPrefix: redis.prefix },
      } as never,
    });
  });
  after(async () => {
    await mg.close();
    await redis.close();
    await schema.drop();
  });

  test("the database and Redis hold no key in play", async () => {
    const user = await mg.user(
      { custom: CUSTOM_KEY },
      { baseUrl: mg.fakes.custom.baseUrl, model: "my-model" },
    );
    const refused = await call(mg.gateway, "POST", "/v1/chat/completions", {
      token: user.token,
      headers: { ...user.headers, "x-byok-custom-model": CUSTOM_KEY },
      body: chat("agent"),
    });
    assert.equal(refused.status, 400);
    // A served call as well, so that a usage record exists to be read.
    const served = await call(mg.gateway, "POST", "/v1/chat/completions", {
      token: user.token,
      headers: user.headers,
      body: chat("agent"),
    });
    assert.equal(served.status, 200);
    await mg.gateway.byok.usage.flush();
    const found: string[] = [];
    for (const key of await redis.keys()) {
      const type = await redis.client.type(key);
      const value =
        type === "string"
          ? await redis.client.get(key)
          : type === "hash"
            ? JSON.stringify(await redis.client.hgetall(key))
            : type === "zset"
              ? JSON.stringify(await redis.client.zrange(key, 0, -1))
              : type === "set"
                ? JSON.stringify(await redis.client.smembers(key))
                : "";
      if (`${key} ${value}`.includes(MARK)) found.push(`redis ${key}`);
    }
    const rows = await schema.query<{ model: string }>("SELECT model FROM usage_records");
    assert.ok(rows.length > 0, "a usage record was written");
    for (const row of rows)
      if (row.model.includes(MARK)) found.push(`postgres usage_records.model = ${row.model}`);
    assert.deepEqual(found, []);
  });
});

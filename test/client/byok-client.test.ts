/**
 * @module test/client/byok-client
 * The kit's client against a real gateway with loopback fake providers: enrollment sends fingerprints only,
 * status, heartbeat, remove, usage, typed errors, and the fetch wrapper's BYOK-served call.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ByokClientError } from "../../client/src/byok-client-error.ts";
import { createByokClient } from "../../client/src/create-byok-client.ts";
import { computeFingerprint } from "../../src/keys/index.ts";
import { type ModelGateway, startModelGateway } from "../support/model-gateway.ts";
import { createRecordingFetch } from "../support/recording-fetch.ts";

const KEYS = { openai: "  sk-kit-openai-1111111111111111 ", custom: "sk-kit-custom-2222222222222222" };
let env: ModelGateway;

before(async () => {
  env = await startModelGateway();
});
after(() => env.close());

async function newClient() {
  const user = await env.user();
  const recording = createRecordingFetch();
  const client = createByokClient({ baseUrl: env.gateway.url, token: user.token, fetch: recording.fetch });
  return { user, client, sent: recording.sent };
}

test("enroll sends fingerprints only, never a raw key; status, heartbeat and remove follow", async () => {
  const { client, sent } = await newClient();
  const keys = { ...KEYS, customBaseUrl: env.fakes.custom.baseUrl, customModel: "my-model" };
  const enrolled = await client.enroll(keys);
  assert.equal(enrolled.active, true);
  assert.deepEqual([...enrolled.providers].sort(), ["custom", "openai"]);
  assert.deepEqual(enrolled.custom, { baseUrl: env.fakes.custom.baseUrl, model: "my-model" });

  const put = sent.at(-1)!;
  assert.equal(put.method, "PUT");
  assert.deepEqual(JSON.parse(put.body), {
    fingerprints: { openai: computeFingerprint(KEYS.openai), custom: computeFingerprint(KEYS.custom) },
    custom: { baseUrl: env.fakes.custom.baseUrl, model: "my-model" },
  });
  for (const request of sent) {
    const text = JSON.stringify(request);
    assert.ok(
      !text.includes(KEYS.openai.trim()) && !text.includes(KEYS.custom),
      "no raw key left the device",
    );
    assert.ok(!Object.keys(request.headers).some((name) => name.startsWith("x-byok-")));
  }

  const sorted = <T extends { providers: string[] }>(status: T) => ({
    ...status,
    providers: [...status.providers].sort(),
  });
  assert.deepEqual(sorted(await client.status()), sorted(enrolled));
  env.gateway.clock.advance(60_000);
  const renewed = await client.heartbeat();
  assert.equal(Date.parse(renewed.lastSeenAt!) - Date.parse(enrolled.lastSeenAt!), 60_000);
  assert.equal(Date.parse(renewed.expiresAt!) - Date.parse(enrolled.expiresAt!), 60_000);

  const removed = await client.remove();
  assert.equal(removed.active, false);
  assert.deepEqual(removed.providers, []);
  const missing = await client.heartbeat().catch((error: unknown) => error);
  assert.ok(missing instanceof ByokClientError);
  assert.equal(missing.status, 404);
  assert.equal(missing.type, "enrollment_not_found");
});

test("the gateway's refusals arrive as ByokClientError with status, type, param and code", async () => {
  const { client } = await newClient();
  const refused = await client
    .enroll({ custom: "sk-kit-custom-3333", customBaseUrl: "https://localhost/v1" })
    .catch((error: unknown) => error);
  assert.ok(refused instanceof ByokClientError);
  assert.equal(refused.status, 400);
  assert.equal(refused.type, "invalid_custom_base_url");
  assert.equal(refused.param, "custom.baseUrl");
  assert.equal(typeof refused.code, "string");

  const policy = await client.enroll({ deepgram: "dg-only-key-4444" }).catch((error: unknown) => error);
  assert.ok(policy instanceof ByokClientError);
  assert.equal(policy.type, "enrollment_policy_violation");

  const stranger = createByokClient({ baseUrl: env.gateway.url, token: "byok_not-a-real-token" });
  const denied = await stranger.status().catch((error: unknown) => error);
  assert.ok(denied instanceof ByokClientError);
  assert.equal(denied.status, 401);
  assert.equal(denied.type, "invalid_credentials");
  assert.ok(!denied.message.includes("byok_not-a-real-token"));
});

test("an unreachable gateway is a network_error with status 0", async () => {
  const closed = await startModelGateway();
  const url = closed.gateway.url;
  await closed.close();
  const client = createByokClient({ baseUrl: url, token: "byok_token" });
  const error = await client.status().catch((caught: unknown) => caught);
  assert.ok(error instanceof ByokClientError);
  assert.equal(error.status, 0);
  assert.equal(error.type, "network_error");
});

test("the token function is asked on every request", async () => {
  const user = await env.user();
  let asked = 0;
  const client = createByokClient({
    baseUrl: `${env.gateway.url}/`,
    token: async () => {
      asked += 1;
      return user.token;
    },
  });
  await client.status();
  await client.status();
  assert.equal(asked, 2);
});

test("a failing token function is a ByokClientError token_error with status 0, and nothing is sent", async () => {
  const recording = createRecordingFetch();
  const failure = new Error("the session expired");
  for (const token of [
    async () => {
      throw failure;
    },
    () => {
      throw failure;
    },
  ]) {
    const client = createByokClient({ baseUrl: env.gateway.url, token, fetch: recording.fetch });
    for (const call of [
      () => client.status(),
      () => client.verify({ openai: KEYS.openai }),
      () => client.fetch("/v1/models", undefined, { openai: KEYS.openai }),
    ]) {
      const error = await call().catch((caught: unknown) => caught);
      assert.ok(error instanceof ByokClientError, String(error));
      assert.equal(error.status, 0);
      assert.equal(error.type, "token_error");
      assert.equal(error.cause, failure);
    }
  }
  assert.equal(recording.sent.length, 0);
});

test("fetch adds the token and keys for the gateway, and the call is BYOK-served on the user's key", async () => {
  const { client, sent } = await newClient();
  await client.enroll({ openai: KEYS.openai });
  const before = env.fakes.openai.requests.length;
  const response = await client.fetch(
    "/v1/chat/completions",
    {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "summary", messages: [{ role: "user", content: "hello there" }] }),
    },
    { openai: KEYS.openai },
  );
  assert.equal(response.status, 200, await response.clone().text());
  assert.match(response.headers.get("x-byok-route") ?? "", /source=byok/);
  assert.match(response.headers.get("x-byok-status") ?? "", /^active; accepted=openai/);
  const upstream = env.fakes.openai.requests.slice(before);
  assert.equal(upstream.length, 1);
  assert.equal(upstream[0]!.headers.authorization, `Bearer ${KEYS.openai.trim()}`);
  assert.equal(sent.at(-1)!.headers["x-byok-openai"], KEYS.openai.trim());

  const usage = await client.usage({ openai: KEYS.openai });
  assert.equal(usage.usage.byok.requests, 1);
  assert.equal(usage.usage.operator.requests, 0);
});

test("fetch takes a Request too, keeping its own headers and an Authorization the caller set", async () => {
  const { user, client, sent } = await newClient();
  await client.enroll({ openai: KEYS.openai });
  const request = new Request(`${env.gateway.url}/v1/models`, { headers: { "x-app": "notes" } });
  const response = await client.fetch(request, undefined, { openai: KEYS.openai });
  assert.equal(response.status, 200, await response.clone().text());
  assert.match(response.headers.get("x-byok-status") ?? "", /^active; accepted=openai/);
  const last = sent.at(-1)!;
  assert.equal(last.headers["x-app"], "notes");
  assert.equal(last.headers.authorization, `Bearer ${user.token}`);

  const own = await client.fetch("/v1/models", { headers: { authorization: "Bearer byok_someone-else" } });
  assert.equal(own.status, 401, "the caller's Authorization is kept, not replaced");
});

test("fetch never sends the token or keys anywhere but the gateway", async () => {
  const { client, sent } = await newClient();
  const count = sent.length;
  for (const target of [env.fakes.openai.baseUrl, "https://example.com/v1/chat/completions"]) {
    await assert.rejects(client.fetch(target, { method: "POST" }, { openai: KEYS.openai }), TypeError);
  }
  const prefixed = createByokClient({ baseUrl: `${env.gateway.url}/gateway`, token: "t" });
  await assert.rejects(prefixed.fetch(`${env.gateway.url}/v1/models`), TypeError);
  assert.equal(sent.length, count);
});

import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { computeFingerprint } from "../../src/keys/index.ts";
import { createSqliteStore, type Store } from "../../src/store/index.ts";
import { addUser, call, enroll, errorOf } from "../support/gateway-client.ts";
import type { ProbeAnswer } from "../support/probe-routes.ts";
import { registerProbeRoutes } from "../support/probe-routes.ts";
import { startGateway, type TestGateway } from "../support/start-gateway.ts";

const DAY = 24 * 60 * 60 * 1000;

/** A real SQLite store that counts enrollment reads. */
function countingStore(dataDir: string): Store & { enrollmentReads: () => number } {
  const store = createSqliteStore({ path: join(dataDir, "byok.sqlite") });
  let reads = 0;
  return {
    ...store,
    enrollments: {
      ...store.enrollments,
      get: (userId) => {
        reads++;
        return store.enrollments.get(userId);
      },
    },
    enrollmentReads: () => reads,
  };
}

describe("per-request validation through the server", () => {
  let gateway: TestGateway;
  let store: ReturnType<typeof countingStore>;
  let token: string;
  const probe = (headers: Record<string, string>, as = token) =>
    call(gateway, "POST", "/test/probe", { token: as, headers, body: {} });

  before(async () => {
    gateway = await startGateway({
      store: (dataDir) => {
        store = countingStore(dataDir);
        return store;
      },
      routes: (app) => registerProbeRoutes(app),
    });
    token = await addUser(gateway, "validator");
  });
  after(() => gateway.close());

  test("no X-BYOK-* headers: status none and the store is not read", async () => {
    await enroll(gateway, token, { openai: "sk-live" });
    const before = store.enrollmentReads();
    for (let i = 0; i < 5; i++) {
      const response = await probe({ "x-byok-custom-base-url": "https://x.example.com", "x-other": "1" });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("x-byok-status"), "none");
      assert.equal((response.body as ProbeAnswer).status, "none");
    }
    assert.equal(store.enrollmentReads(), before);
  });

  test("a never-enrolled user's keys are dropped", async () => {
    const other = await addUser(gateway, "never-enrolled");
    const response = await probe({ "X-BYOK-OpenAI": "sk-anything" }, other);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("x-byok-status"), "inactive; reason=not_enrolled; dropped=openai");
    assert.deepEqual((response.body as ProbeAnswer).providers, []);
  });

  test("a deactivated user's keys are dropped", async () => {
    const other = await addUser(gateway, "deactivated");
    await enroll(gateway, other, { openai: "sk-d" });
    assert.equal(
      (await probe({ "x-byok-openai": "sk-d" }, other)).headers.get("x-byok-status"),
      "active; accepted=openai",
    );
    await call(gateway, "DELETE", "/v1/byok/enrollment", { token: other });
    const response = await probe({ "x-byok-openai": "sk-d" }, other);
    assert.equal(response.headers.get("x-byok-status"), "inactive; reason=not_enrolled; dropped=openai");
  });

  test("an expired heartbeat drops the keys; a heartbeat brings them back", async () => {
    const other = await addUser(gateway, "expiring");
    await enroll(gateway, other, { openai: "sk-e" });
    gateway.clock.advance(8 * DAY);
    const expired = await probe({ "x-byok-openai": "sk-e" }, other);
    assert.equal(expired.status, 200);
    assert.equal(expired.headers.get("x-byok-status"), "inactive; reason=expired; dropped=openai");
    await call(gateway, "POST", "/v1/byok/heartbeat", { token: other });
    assert.equal(
      (await probe({ "x-byok-openai": "sk-e" }, other)).headers.get("x-byok-status"),
      "active; accepted=openai",
    );
  });

  test("a matching key is accepted; header names are case-insensitive and values trimmed", async () => {
    await enroll(gateway, token, { openai: "sk-live", anthropic: "sk-ant" });
    const response = await probe({
      "X-Byok-OpenAI": "  sk-live  ",
      "x-byok-anthropic": "sk-ant",
      "x-byok-unknown": "zzz",
    });
    assert.equal(response.status, 200);
    assert.deepEqual((response.body as ProbeAnswer).fingerprints, {
      openai: computeFingerprint("sk-live"),
      anthropic: computeFingerprint("sk-ant"),
    });
    assert.equal(response.headers.get("x-byok-status"), "active; accepted=openai,anthropic");
  });

  test("a mismatched key is a 403 naming the provider", async () => {
    await enroll(gateway, token, { openai: "sk-live", anthropic: "sk-ant" });
    const response = await probe({ "x-byok-openai": "sk-live", "x-byok-anthropic": "sk-wrong" });
    assert.equal(response.status, 403);
    assert.equal(errorOf(response).type, "byok_key_mismatch");
    assert.equal(errorOf(response).provider, "anthropic");
    assert.equal(response.headers.get("x-byok-status"), "rejected; mismatched=anthropic");
  });

  test("a key for a provider the user never enrolled is dropped", async () => {
    await enroll(gateway, token, { openai: "sk-live" });
    const response = await probe({ "x-byok-openai": "sk-live", "x-byok-gemini": "g-key" });
    assert.equal(response.status, 200);
    assert.deepEqual((response.body as ProbeAnswer).providers, ["openai"]);
    assert.equal(response.headers.get("x-byok-status"), "active; accepted=openai; dropped=gemini");
  });

  test("empty values are ignored", async () => {
    await enroll(gateway, token, { openai: "sk-live" });
    const response = await probe({ "x-byok-openai": "sk-live", "x-byok-gemini": "   " });
    assert.equal(response.headers.get("x-byok-status"), "active; accepted=openai");
  });

  test("a malformed value for an enrolled provider is a 400 naming the header", async () => {
    await enroll(gateway, token, { openai: "sk-live" });
    const response = await probe({ "x-byok-openai": "sk live with spaces" });
    assert.equal(response.status, 400);
    assert.equal(errorOf(response).type, "invalid_byok_header");
    assert.equal(errorOf(response).param, "x-byok-openai");
  });

  test("custom headers are ignored when custom is not enrolled", async () => {
    await enroll(gateway, token, { openai: "sk-live" });
    const response = await probe({
      "x-byok-openai": "sk-live",
      "x-byok-custom": "sk-custom",
      "x-byok-custom-base-url": "https://evil.example.com",
      "x-byok-custom-model": "m",
    });
    assert.equal(response.status, 200);
    const answer = response.body as ProbeAnswer;
    assert.equal(answer.custom, null);
    assert.deepEqual(answer.providers, ["openai"]);
    assert.equal(response.headers.get("x-byok-status"), "active; accepted=openai; dropped=custom");
  });

  test("custom settings: enrolled base URL, header model override, equal-after-normalization header accepted", async () => {
    await enroll(
      gateway,
      token,
      { custom: "sk-custom" },
      { baseUrl: "https://models.example.com/v1", model: "default-model" },
    );
    const plain = await probe({ "x-byok-custom": "sk-custom" });
    assert.deepEqual((plain.body as ProbeAnswer).custom, {
      baseUrl: "https://models.example.com/v1",
      model: "default-model",
    });
    const overridden = await probe({
      "x-byok-custom": "sk-custom",
      "x-byok-custom-base-url": "https://MODELS.example.com:443/v1/",
      "x-byok-custom-model": "other-model",
    });
    assert.equal(overridden.status, 200);
    assert.deepEqual((overridden.body as ProbeAnswer).custom, {
      baseUrl: "https://models.example.com/v1",
      model: "other-model",
    });
  });

  test("a base-URL header that differs from the enrolled one is a 403", async () => {
    await enroll(gateway, token, { custom: "sk-custom" }, { baseUrl: "https://models.example.com/v1" });
    const response = await probe({
      "x-byok-custom": "sk-custom",
      "x-byok-custom-base-url": "https://attacker.example.net/v1",
    });
    assert.equal(response.status, 403);
    assert.equal(errorOf(response).type, "byok_custom_base_url_mismatch");
    assert.equal(errorOf(response).provider, "custom");
  });

  test("an unusable custom setting is a 400 naming it, never a fallback to the enrolled value", async () => {
    await enroll(
      gateway,
      token,
      { custom: "sk-custom" },
      { baseUrl: "https://models.example.com/v1", model: "m" },
    );
    const longUrl = `https://other.example.net/v1?${"p".repeat(2100)}`;
    for (const [header, value] of [
      ["x-byok-custom-base-url", longUrl],
      ["x-byok-custom-model", "m".repeat(2049)],
    ] as const) {
      const response = await probe({ "x-byok-custom": "sk-custom", [header]: value });
      assert.equal(response.status, 400, `${header}: ${response.text}`);
      assert.equal(errorOf(response).type, "invalid_byok_header");
      assert.equal(errorOf(response).param, header);
      assert.match(errorOf(response).message, /unusable/);
      assert.equal(response.headers.get("x-byok-status"), "rejected; malformed=custom");
    }
    // Recovery paths strip the custom key instead of refusing.
    const recovery = await call(gateway, "GET", "/v1/byok/enrollment", {
      token,
      headers: { "x-byok-custom": "sk-custom", "x-byok-custom-base-url": longUrl },
    });
    assert.equal(recovery.status, 200, recovery.text);
    assert.equal(recovery.headers.get("x-byok-status"), "active; malformed=custom");
  });

  test("the recovery endpoints answer 200 with stale keys and strip them", async () => {
    await enroll(gateway, token, { openai: "sk-live" });
    const stale = { "x-byok-openai": "sk-old-stale-key" };
    for (const [method, path] of [
      ["GET", "/v1/byok/enrollment"],
      ["POST", "/v1/byok/heartbeat"],
    ] as const) {
      const response = await call(gateway, method, path, { token, headers: stale });
      assert.equal(response.status, 200, `${method} ${path}: ${response.text}`);
      assert.equal(response.headers.get("x-byok-status"), "active; mismatched=openai");
    }
    const put = await call(gateway, "PUT", "/v1/byok/enrollment", {
      token,
      headers: stale,
      body: { fingerprints: { openai: computeFingerprint("sk-new") } },
    });
    assert.equal(put.status, 200);
    const deleted = await call(gateway, "DELETE", "/v1/byok/enrollment", {
      token,
      headers: { "x-byok-openai": "sk-live" },
    });
    assert.equal(deleted.status, 200);
  });

  test("key rotation in one process takes effect at once", async () => {
    await enroll(gateway, token, { openai: "sk-old" });
    assert.equal((await probe({ "x-byok-openai": "sk-old" })).status, 200);
    await enroll(gateway, token, { openai: "sk-new" });
    const old = await probe({ "x-byok-openai": "sk-old" });
    assert.equal(old.status, 403);
    assert.equal(errorOf(old).type, "byok_key_mismatch");
    const fresh = await probe({ "x-byok-openai": "sk-new" });
    assert.equal(fresh.status, 200);
    assert.deepEqual((fresh.body as ProbeAnswer).fingerprints, { openai: computeFingerprint("sk-new") });
  });

  test("the enrollment cache serves repeat requests without store reads", async () => {
    await enroll(gateway, token, { openai: "sk-cached" });
    await probe({ "x-byok-openai": "sk-cached" });
    const before = store.enrollmentReads();
    for (let i = 0; i < 10; i++) assert.equal((await probe({ "x-byok-openai": "sk-cached" })).status, 200);
    assert.equal(store.enrollmentReads(), before);
  });
});

describe("isolation", () => {
  test("two users' interleaved requests never see each other's keys", async () => {
    const gate = Promise.withResolvers<void>();
    const bothArrived = Promise.withResolvers<void>();
    let arrived = 0;
    const gateway = await startGateway({
      routes: (app) =>
        registerProbeRoutes(app, async () => {
          arrived++;
          if (arrived === 2) bothArrived.resolve();
          await gate.promise;
        }),
    });
    try {
      const alice = await addUser(gateway, "alice");
      const bob = await addUser(gateway, "bob");
      await enroll(gateway, alice, { openai: "sk-alice" });
      await enroll(gateway, bob, { openai: "sk-bob" });
      const aliceCall = call(gateway, "POST", "/test/probe", {
        token: alice,
        headers: { "x-byok-openai": "sk-alice" },
        body: {},
      });
      const bobCall = call(gateway, "POST", "/test/probe", {
        token: bob,
        headers: { "x-byok-openai": "sk-bob" },
        body: {},
      });
      await bothArrived.promise;
      gate.resolve();
      const [aliceAnswer, bobAnswer] = (await Promise.all([aliceCall, bobCall])).map(
        (response) => response.body as ProbeAnswer,
      );
      assert.equal(aliceAnswer!.userId, "alice");
      assert.deepEqual(aliceAnswer!.fingerprints, { openai: computeFingerprint("sk-alice") });
      assert.equal(bobAnswer!.userId, "bob");
      assert.deepEqual(bobAnswer!.fingerprints, { openai: computeFingerprint("sk-bob") });
    } finally {
      await gateway.close();
    }
  });
});

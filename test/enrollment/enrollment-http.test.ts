import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { computeFingerprint } from "../../src/keys/index.ts";
import { addUser, call, enroll, errorOf } from "../support/gateway-client.ts";
import { startGateway, type TestGateway } from "../support/start-gateway.ts";

const fp = (key: string) => computeFingerprint(key);
const DAY = 24 * 60 * 60 * 1000;

describe("enrollment over HTTP", () => {
  let gateway: TestGateway;
  let token: string;
  before(async () => {
    // private.internal.example resolves to a private address; every other name to a public one.
    gateway = await startGateway({
      egressResolver: async (name) =>
        name === "private.internal.example"
          ? [
              { address: "93.184.215.14", family: 4 },
              { address: "10.1.2.3", family: 4 },
            ]
          : [{ address: "93.184.215.14", family: 4 }],
    });
    token = await addUser(gateway, "enroller");
  });
  after(() => gateway.close());

  const refusals: Array<[string, unknown, string, string]> = [
    [
      "unknown provider",
      { fingerprints: { openai: fp("k"), mistral: fp("m") } },
      "invalid_enrollment",
      "fingerprints.mistral",
    ],
    [
      "63 characters",
      { fingerprints: { openai: fp("k").slice(1) } },
      "invalid_enrollment",
      "fingerprints.openai",
    ],
    [
      "65 characters",
      { fingerprints: { openai: `${fp("k")}0` } },
      "invalid_enrollment",
      "fingerprints.openai",
    ],
    [
      "uppercase",
      { fingerprints: { openai: fp("k").toUpperCase() } },
      "invalid_enrollment",
      "fingerprints.openai",
    ],
    [
      "non-hex",
      { fingerprints: { openai: `${fp("k").slice(0, 63)}g` } },
      "invalid_enrollment",
      "fingerprints.openai",
    ],
    ["empty", { fingerprints: { openai: "" } }, "invalid_enrollment", "fingerprints.openai"],
    ["a number", { fingerprints: { openai: 42 } }, "invalid_enrollment", "fingerprints.openai"],
    ["no fingerprints object", { custom: {} }, "invalid_enrollment", "fingerprints"],
    ["empty fingerprints", { fingerprints: {} }, "invalid_enrollment", "fingerprints"],
    ["deepgram only", { fingerprints: { deepgram: fp("d") } }, "enrollment_policy_violation", "fingerprints"],
    [
      "custom without base URL",
      { fingerprints: { custom: fp("c") } },
      "invalid_enrollment",
      "custom.baseUrl",
    ],
    [
      "non-https custom base URL",
      { fingerprints: { custom: fp("c") }, custom: { baseUrl: "http://models.example.com/v1" } },
      "invalid_custom_base_url",
      "custom.baseUrl",
    ],
    [
      "custom settings without a custom key",
      { fingerprints: { openai: fp("k") }, custom: { baseUrl: "https://models.example.com/v1" } },
      "invalid_enrollment",
      "custom",
    ],
    [
      "unknown top-level field",
      { fingerprints: { openai: fp("k") }, extra: 1 },
      "invalid_enrollment",
      "extra",
    ],
    ["an array body", [1, 2], "invalid_enrollment", "(body)"],
  ];
  for (const [name, body, type, param] of refusals) {
    test(`refuses ${name} with a 400 naming ${param}`, async () => {
      const response = await call(gateway, "PUT", "/v1/byok/enrollment", { token, body });
      assert.equal(response.status, 400, response.text);
      assert.equal(errorOf(response).type, type);
      assert.equal(errorOf(response).param, param);
      assert.ok(errorOf(response).message.length > 10);
    });
  }

  const deniedUrls: Array<[string, string]> = [
    ["http://models.example.com/v1", "http_not_allowed"],
    ["ftp://models.example.com/v1", "scheme_not_allowed"],
    ["https://localhost/v1", "host_denied"],
    ["https://127.0.0.1/v1", "address_denied"],
    ["https://[::ffff:169.254.169.254]/", "metadata_address_denied"],
    ["https://user:pass@models.example.com/v1", "userinfo_not_allowed"],
    ["https://models.example.com/v1?key=1", "query_not_allowed"],
    ["https://private.internal.example/v1", "address_denied"],
  ];
  for (const [baseUrl, reason] of deniedUrls) {
    test(`the egress guard refuses custom base URL ${baseUrl} (${reason})`, async () => {
      const response = await call(gateway, "PUT", "/v1/byok/enrollment", {
        token,
        body: { fingerprints: { custom: fp("c") }, custom: { baseUrl } },
      });
      assert.equal(response.status, 400, response.text);
      assert.equal(errorOf(response).type, "invalid_custom_base_url");
      assert.equal(errorOf(response).code, reason);
      assert.equal(errorOf(response).param, "custom.baseUrl");
      assert.ok(!response.text.includes("10.1.2.3"), "resolved addresses never reach the client");
    });
  }

  test("egress refusals are counted by reason on /metrics, without URLs or addresses", async () => {
    const metrics = await call(gateway, "GET", "/metrics");
    assert.equal(metrics.status, 200);
    assert.match(metrics.text, /byok_egress_denied_total\{reason="host_denied"\} [1-9]/);
    assert.match(metrics.text, /byok_egress_denied_total\{reason="address_denied"\} [1-9]/);
    assert.ok(!metrics.text.includes("internal.example") && !metrics.text.includes("10.1.2.3"));
  });

  test("the fingerprint length is named in the message", async () => {
    const response = await call(gateway, "PUT", "/v1/byok/enrollment", {
      token,
      body: { fingerprints: { openai: fp("k").slice(1) } },
    });
    assert.match(errorOf(response).message, /got 63/);
  });

  test("a custom endpoint alone is enough and its base URL is stored normalized", async () => {
    const response = await enroll(
      gateway,
      token,
      { custom: "sk-custom" },
      { baseUrl: "https://Models.Example.com:443/v1/", model: "llama" },
    );
    assert.equal(response.status, 200, response.text);
    const status = response.body as {
      active: boolean;
      providers: string[];
      custom: { baseUrl: string; model: string };
    };
    assert.equal(status.active, true);
    assert.deepEqual(status.providers, ["custom"]);
    assert.deepEqual(status.custom, { baseUrl: "https://models.example.com/v1", model: "llama" });
  });

  test("GET answers the status without any fingerprint", async () => {
    await enroll(gateway, token, { openai: "sk-openai", deepgram: "dg-key" });
    const response = await call(gateway, "GET", "/v1/byok/enrollment", { token });
    assert.equal(response.status, 200);
    const status = response.body as Record<string, unknown>;
    assert.deepEqual((status.providers as string[]).sort(), ["deepgram", "openai"]);
    assert.equal(status.active, true);
    assert.equal(typeof status.expiresAt, "string");
    assert.ok(!response.text.includes(fp("sk-openai")));
    assert.ok(!/[0-9a-f]{64}/.test(response.text), "no 64-hex value in the status");
  });

  test("heartbeats renew an enrollment past the TTL; without them it expires", async () => {
    await enroll(gateway, token, { openai: "sk-openai" });
    gateway.clock.advance(6 * DAY);
    const renewed = await call(gateway, "POST", "/v1/byok/heartbeat", { token });
    assert.equal(renewed.status, 200);
    gateway.clock.advance(6 * DAY);
    assert.equal(
      ((await call(gateway, "GET", "/v1/byok/enrollment", { token })).body as { active: boolean }).active,
      true,
    );
    gateway.clock.advance(2 * DAY);
    assert.equal(
      ((await call(gateway, "GET", "/v1/byok/enrollment", { token })).body as { active: boolean }).active,
      false,
    );
  });

  test("DELETE deactivates; a heartbeat then has nothing to renew", async () => {
    await enroll(gateway, token, { openai: "sk-openai" });
    const deleted = await call(gateway, "DELETE", "/v1/byok/enrollment", { token });
    assert.equal(deleted.status, 200);
    assert.equal((deleted.body as { active: boolean }).active, false);
    const heartbeat = await call(gateway, "POST", "/v1/byok/heartbeat", { token });
    assert.equal(heartbeat.status, 404);
    assert.equal(errorOf(heartbeat).type, "enrollment_not_found");
  });

  test("enrollment endpoints require a user token", async () => {
    const response = await call(gateway, "GET", "/v1/byok/enrollment");
    assert.equal(response.status, 401);
    assert.equal(errorOf(response).type, "missing_credentials");
  });
});

describe("enrollment with a required provider set", () => {
  test("refuses an enrollment missing a required provider, naming it", async () => {
    const gateway = await startGateway({
      config: { enrollment: { requiredProviders: ["openai", "deepgram"] } },
    });
    try {
      const token = await addUser(gateway, "u1");
      const missing = await enroll(gateway, token, { openai: "sk-openai" });
      assert.equal(missing.status, 400);
      assert.equal(errorOf(missing).type, "enrollment_policy_violation");
      assert.equal(errorOf(missing).param, "fingerprints.deepgram");
      assert.match(errorOf(missing).message, /deepgram/);
      const complete = await enroll(gateway, token, { openai: "sk-openai", deepgram: "dg" });
      assert.equal(complete.status, 200);
    } finally {
      await gateway.close();
    }
  });
});

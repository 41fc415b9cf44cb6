import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { addUser, call, errorOf } from "../support/gateway-client.ts";
import { ADMIN_TOKEN, startGateway, type TestGateway } from "../support/start-gateway.ts";

describe("gateway tokens", () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startGateway();
  });
  after(() => gateway.close());

  test("a token created by the admin API authenticates; the stored value is only its hash", async () => {
    const token = await addUser(gateway, "token-user", "pro");
    assert.match(token, /^byok_[A-Za-z0-9_-]{43}$/);
    assert.equal((await call(gateway, "GET", "/v1/byok/enrollment", { token })).status, 200);
    const stored = await gateway.byok.store.tokens.findByHash(token);
    assert.equal(stored, null, "the raw token is not a key in the store");
  });

  const bad: Array<[string, Record<string, string>, string]> = [
    ["missing", {}, "missing_credentials"],
    ["not a bearer", { authorization: "Basic dXNlcjpwYXNz" }, "missing_credentials"],
    ["unknown token", { authorization: `Bearer byok_${"A".repeat(43)}` }, "invalid_credentials"],
    ["garbage", { authorization: "Bearer not-a-token" }, "invalid_credentials"],
  ];
  for (const [name, headers, type] of bad) {
    test(`${name} credentials → 401 ${type}`, async () => {
      const response = await call(gateway, "GET", "/v1/byok/enrollment", { headers });
      assert.equal(response.status, 401);
      assert.equal(errorOf(response).type, type);
      assert.equal(response.headers.get("www-authenticate"), "Bearer");
    });
  }

  test("revoking a user invalidates a cached token at once", async () => {
    const token = await addUser(gateway, "to-revoke");
    assert.equal((await call(gateway, "GET", "/v1/byok/enrollment", { token })).status, 200);
    const revoked = await call(gateway, "DELETE", "/admin/users/to-revoke", {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    assert.equal(revoked.status, 200);
    const after = await call(gateway, "GET", "/v1/byok/enrollment", { token });
    assert.equal(after.status, 401);
    assert.equal(errorOf(after).type, "invalid_credentials");
  });

  test("admin API: list, issue another token, duplicate id, bad id, wrong admin token", async () => {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    await addUser(gateway, "listed", "free");
    const list = await call(gateway, "GET", "/admin/users", { headers: admin });
    assert.equal(list.status, 200);
    const listed = (list.body as { data: Array<{ id: string; plan: string | null }> }).data.find(
      (user) => user.id === "listed",
    );
    assert.deepEqual({ id: listed?.id, plan: listed?.plan }, { id: "listed", plan: "free" });
    assert.ok(!list.text.includes("byok_"), "tokens are never listed");
    const second = await call(gateway, "POST", "/admin/users/listed/tokens", { headers: admin });
    assert.equal(second.status, 201);
    assert.equal(
      (await call(gateway, "GET", "/v1/byok/enrollment", { token: (second.body as { token: string }).token }))
        .status,
      200,
    );
    const duplicate = await call(gateway, "POST", "/admin/users", { headers: admin, body: { id: "listed" } });
    assert.equal(duplicate.status, 409);
    assert.equal(errorOf(duplicate).type, "user_exists");
    const badId = await call(gateway, "POST", "/admin/users", { headers: admin, body: { id: "has space" } });
    assert.equal(badId.status, 400);
    assert.equal(errorOf(badId).param, "id");
    const wrong = await call(gateway, "GET", "/admin/users", {
      headers: { authorization: "Bearer wrong-admin-token" },
    });
    assert.equal(wrong.status, 401);
    assert.equal(errorOf(wrong).type, "invalid_admin_token");
    const userToken = await addUser(gateway, "not-admin");
    assert.equal((await call(gateway, "GET", "/admin/users", { token: userToken })).status, 401);
  });
});

test("the admin API is absent without an admin token", async () => {
  const gateway = await startGateway({ config: { adminToken: undefined } });
  try {
    const response = await call(gateway, "POST", "/admin/users", {
      headers: { authorization: "Bearer x" },
      body: { id: "a" },
    });
    assert.equal(response.status, 404);
    assert.equal(errorOf(response).type, "not_found");
  } finally {
    await gateway.close();
  }
});

describe("JWT mode against a JWKS served on loopback", () => {
  let jwks: Server;
  let gateway: TestGateway;
  let sign: (
    claims: Record<string, unknown>,
    options?: { expiresIn?: string; audience?: string; issuer?: string; key?: "right" | "wrong" },
  ) => Promise<string>;
  let jwksRequests = 0;

  before(async () => {
    const right = await generateKeyPair("ES256");
    const wrong = await generateKeyPair("ES256");
    const publicJwk = { ...(await exportJWK(right.publicKey)), kid: "k1", alg: "ES256", use: "sig" };
    jwks = createServer((_request, response) => {
      jwksRequests++;
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify({ keys: [publicJwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
    const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
    sign = (claims, options = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "ES256", kid: "k1" })
        .setIssuedAt()
        .setIssuer(options.issuer ?? "https://id.example.com")
        .setAudience(options.audience ?? "byok-gateway")
        .setExpirationTime(options.expiresIn ?? "5m")
        .sign(options.key === "wrong" ? wrong.privateKey : right.privateKey);
    gateway = await startGateway({
      config: {
        auth: {
          mode: "jwt",
          jwt: { jwksUrl, issuer: "https://id.example.com", audience: "byok-gateway", planClaim: "plan" },
        },
        plans: { free: { limits: [{ meter: "requests", period: "month", limit: 30 }] }, pro: {} },
        defaultPlan: "free",
      },
    });
  });
  after(async () => {
    await gateway.close();
    await new Promise((resolve) => jwks.close(resolve));
  });

  test("a valid JWT authenticates with sub as the user id", async () => {
    const token = await sign({ sub: "jwt-user", plan: "pro" });
    const response = await call(gateway, "PUT", "/v1/byok/enrollment", {
      token,
      body: { fingerprints: { openai: "a".repeat(64) } },
    });
    assert.equal(response.status, 200, response.text);
    assert.ok((await gateway.byok.store.enrollments.get("jwt-user")) !== null);
    assert.ok(jwksRequests >= 1, "the JWKS was fetched from loopback");
  });

  test("the plan comes from the JWT's plan claim; a missing or unknown plan falls back to the default", async () => {
    const planOf = async (claims: Record<string, unknown>) => {
      const response = await call(gateway, "GET", "/v1/usage", {
        token: await sign({ sub: "jwt-plan", ...claims }),
      });
      assert.equal(response.status, 200, response.text);
      return (response.body as { plan: string | null }).plan;
    };
    assert.equal(await planOf({ plan: "pro" }), "pro");
    assert.equal(await planOf({}), "free");
    assert.equal(await planOf({ plan: "gold" }), "free");
  });

  const cases: Array<[string, () => Promise<string>, string]> = [
    ["expired", () => sign({ sub: "u" }, { expiresIn: "-10m" }), "token_expired"],
    ["wrong audience", () => sign({ sub: "u" }, { audience: "someone-else" }), "invalid_aud"],
    ["wrong issuer", () => sign({ sub: "u" }, { issuer: "https://evil.example.com" }), "invalid_iss"],
    ["signed by another key", () => sign({ sub: "u" }, { key: "wrong" }), "invalid_token"],
    ["without sub", () => sign({}), "invalid_sub"],
    ["not a JWT", async () => "abc.def.ghi", "invalid_token"],
  ];
  for (const [name, makeToken, code] of cases) {
    test(`${name} → 401 (${code})`, async () => {
      const response = await call(gateway, "GET", "/v1/byok/enrollment", { token: await makeToken() });
      assert.equal(response.status, 401, response.text);
      assert.equal(errorOf(response).type, "invalid_credentials");
      assert.equal(errorOf(response).code, code);
    });
  }

  test("missing → 401", async () => {
    const response = await call(gateway, "GET", "/v1/byok/enrollment");
    assert.equal(response.status, 401);
    assert.equal(errorOf(response).type, "missing_credentials");
  });
});

/**
 * @module test/auth/settings-tokens-http
 * Settings links: minted by the admin API, accepted only on the settings page's endpoints (enrollment,
 * heartbeat, verify, routes, usage), refused on model calls and admin, once expired, and once the user is revoked.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { SignJWT } from "jose";
import { SETTINGS_KEY_INFO } from "../../src/auth/index.ts";
import { createPepperRing, SecretKey } from "../../src/keys/index.ts";
import { addUser, call, errorOf } from "../support/gateway-client.ts";
import { ADMIN_TOKEN, startGateway, TEST_PEPPER, type TestGateway } from "../support/start-gateway.ts";

const adminHeaders = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe("settings links and settings tokens", () => {
  let gateway: TestGateway;
  let users = 0;
  const link = (body: unknown) =>
    call(gateway, "POST", "/admin/settings-links", { headers: adminHeaders, body });
  async function settingsTokenFor(ttlSeconds?: number): Promise<{ userId: string; token: string }> {
    const userId = `settings-user-${++users}`;
    await addUser(gateway, userId);
    const response = await link(ttlSeconds === undefined ? { userId } : { userId, ttlSeconds });
    assert.equal(response.status, 201, response.text);
    return { userId, token: (response.body as { token: string }).token };
  }

  before(async () => {
    gateway = await startGateway({
      config: { features: { chat: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }] } } },
    });
  });
  after(() => gateway.close());

  test("POST /admin/settings-links answers a bst_ token, its #token URL and expiry (900 s by default)", async () => {
    await addUser(gateway, "link-shape");
    const response = await link({ userId: "link-shape" });
    assert.equal(response.status, 201, response.text);
    const body = response.body as { url: string; token: string; expiresAt: string };
    assert.match(body.token, /^bst_[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.equal(body.url, `/settings/#token=${body.token}`);
    assert.equal(Date.parse(body.expiresAt), gateway.clock.now() + 900_000);
    assert.equal(response.headers.get("cache-control"), "no-store");
    const custom = await link({ userId: "link-shape", ttlSeconds: 60 });
    assert.equal(Date.parse((custom.body as { expiresAt: string }).expiresAt), gateway.clock.now() + 60_000);
    assert.ok(!gateway.logs.some((line) => line.includes(body.token.slice(4))), "the token is never logged");
  });

  const badBodies: Array<[string, unknown, string | null]> = [
    ["ttl below 60", { userId: "link-shape", ttlSeconds: 59 }, "ttlSeconds"],
    ["ttl above 3600", { userId: "link-shape", ttlSeconds: 3601 }, "ttlSeconds"],
    ["a fractional ttl", { userId: "link-shape", ttlSeconds: 90.5 }, "ttlSeconds"],
    ["a bad user id", { userId: "no spaces" }, "userId"],
    ["an unknown field", { userId: "link-shape", scope: "all" }, "scope"],
    ["not an object", [1], null],
  ];
  for (const [name, body, param] of badBodies) {
    test(`refuses ${name} with 400 invalid_request`, async () => {
      const response = await link(body);
      assert.equal(response.status, 400, response.text);
      assert.equal(errorOf(response).type, "invalid_request");
      assert.equal(errorOf(response).param, param);
    });
  }

  test("an unknown or revoked user gets no link (404 user_not_found); the admin token is required", async () => {
    assert.equal((await link({ userId: "nobody-here" })).status, 404);
    const anonymous = await call(gateway, "POST", "/admin/settings-links", {
      body: { userId: "link-shape" },
    });
    assert.equal(anonymous.status, 401);
    assert.equal(errorOf(anonymous).type, "invalid_admin_token");
  });

  const accepted: Array<[string, string, unknown?]> = [
    ["GET", "/v1/byok/enrollment"],
    ["PUT", "/v1/byok/enrollment", { fingerprints: { openai: "a".repeat(64) } }],
    ["POST", "/v1/byok/heartbeat"],
    ["GET", "/v1/byok/routes"],
    ["GET", "/v1/usage"],
    ["DELETE", "/v1/byok/enrollment"],
  ];
  for (const [method, path, body] of accepted) {
    test(`is accepted on ${method} ${path}`, async () => {
      const { token } = await settingsTokenFor();
      const response = await call(gateway, method, path, { token, ...(body ? { body } : {}) });
      assert.ok(
        response.status < 400 || errorOf(response).type === "enrollment_not_found",
        `${response.status} ${response.text}`,
      );
    });
  }

  test("is accepted on POST /v1/byok/verify (past authentication: no keys is a 400, not a 401)", async () => {
    const { token } = await settingsTokenFor();
    const response = await call(gateway, "POST", "/v1/byok/verify", { token });
    assert.equal(response.status, 400);
    assert.equal(errorOf(response).type, "invalid_request");
  });

  const refused: Array<[string, string, unknown?]> = [
    ["POST", "/v1/chat/completions", { model: "chat", messages: [{ role: "user", content: "hi" }] }],
    ["POST", "/v1/embeddings", { model: "chat", input: "hi" }],
    ["GET", "/v1/models"],
    ["POST", "/v1/messages", { model: "chat", max_tokens: 5, messages: [{ role: "user", content: "hi" }] }],
    ["POST", "/v1/listen/tickets?model=chat"],
  ];
  for (const [method, path, body] of refused) {
    test(`is refused on ${method} ${path} (401)`, async () => {
      const { token } = await settingsTokenFor();
      const response = await call(gateway, method, path, { token, ...(body ? { body } : {}) });
      assert.equal(response.status, 401, response.text);
      assert.match(response.text, /settings_token_not_accepted|settings token/);
    });
  }

  test("is refused on the admin API", async () => {
    const { token } = await settingsTokenFor();
    const response = await call(gateway, "GET", "/admin/users", { token });
    assert.equal(response.status, 401);
    assert.equal(errorOf(response).type, "invalid_admin_token");
  });

  test("is refused once expired", async () => {
    const { token } = await settingsTokenFor(60);
    assert.equal((await call(gateway, "GET", "/v1/byok/enrollment", { token })).status, 200);
    gateway.clock.advance(61_000);
    const response = await call(gateway, "GET", "/v1/byok/enrollment", { token });
    assert.equal(response.status, 401);
    assert.equal(errorOf(response).code, "token_expired");
  });

  test("is refused once the user is revoked", async () => {
    const { userId, token } = await settingsTokenFor();
    assert.equal((await call(gateway, "GET", "/v1/usage", { token })).status, 200);
    const revoke = await call(gateway, "DELETE", `/admin/users/${userId}`, { headers: adminHeaders });
    assert.equal(revoke.status, 200);
    const response = await call(gateway, "GET", "/v1/usage", { token });
    assert.equal(response.status, 401);
    assert.equal(errorOf(response).code, "user_revoked");
    assert.equal((await link({ userId })).status, 404, "no new link for a revoked user");
  });

  test("a tampered, re-signed or foreign-audience token is refused", async () => {
    const { token } = await settingsTokenFor();
    const [header, payload, signature] = token.slice(4).split(".") as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: "link-shape" })).toString("base64url");
    const attempts = [
      `bst_${header}.${forged}.${signature}`,
      `bst_${header}.${payload}.${signature.slice(0, -2)}AA`,
      `bst_${Buffer.from('{"alg":"none"}').toString("base64url")}.${payload}.`,
      "bst_not-a-jwt",
    ];
    // Signed with the right key, but for another audience, or by another issuer, or without an expiry.
    const [key] = createPepperRing([new SecretKey(TEST_PEPPER)]).deriveKeys(SETTINGS_KEY_INFO);
    const at = Math.floor(gateway.clock.now() / 1000);
    const sign = (audience: string, issuer: string, exp: number | null) => {
      const jwt = new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject(claims.sub as string);
      jwt.setAudience(audience).setIssuer(issuer).setIssuedAt(at);
      if (exp !== null) jwt.setExpirationTime(exp);
      return jwt.sign(key!);
    };
    assert.equal(
      (
        await call(gateway, "GET", "/v1/byok/enrollment", {
          token: `bst_${await sign("byok-settings", "byok-gateway", at + 60)}`,
        })
      ).status,
      200,
      "the control: a well-made token passes",
    );
    attempts.push(`bst_${await sign("another-app", "byok-gateway", at + 60)}`);
    attempts.push(`bst_${await sign("byok-settings", "someone-else", at + 60)}`);
    attempts.push(`bst_${await sign("byok-settings", "byok-gateway", null)}`);
    for (const attempt of attempts) {
      const response = await call(gateway, "GET", "/v1/byok/enrollment", { token: attempt });
      assert.equal(response.status, 401, attempt);
      assert.equal(errorOf(response).code, "invalid_token");
    }
  });
});

describe("settings tokens in JWT mode", () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startGateway({
      config: {
        auth: {
          mode: "jwt",
          jwt: {
            secret: "a-shared-jwt-secret-of-32-characters-or-more",
            issuer: "https://id.test/",
            audience: "app",
          },
        },
      },
    });
  });
  after(() => gateway.close());

  test("a link for a user in the store signs in beside JWTs; a JWT signed with the pepper-derived key does not", async () => {
    const created = await call(gateway, "POST", "/admin/users", {
      headers: adminHeaders,
      body: { id: "jwt-user" },
    });
    assert.equal(created.status, 201);
    const response = await link({ userId: "jwt-user" });
    const { token } = response.body as { token: string };
    assert.equal((await call(gateway, "GET", "/v1/byok/enrollment", { token })).status, 200);
    // The settings token without its prefix is no JWT of the identity provider.
    const bare = await call(gateway, "GET", "/v1/byok/enrollment", { token: token.slice(4) });
    assert.equal(bare.status, 401);
  });

  function link(body: unknown) {
    return call(gateway, "POST", "/admin/settings-links", { headers: adminHeaders, body });
  }
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { SignJWT } from "jose";
import { createJwtVerifier } from "../../src/auth/index.ts";
import { parseConfig } from "../../src/config/index.ts";

const secret = "a-shared-jwt-secret-of-32-characters-or-more";
const jwtConfig = { secret, issuer: "https://id.example.com", audience: "byok-gateway" };

const sign = (withExp: boolean) => {
  const jwt = new SignJWT({ sub: "exp-user" })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(jwtConfig.issuer)
    .setAudience(jwtConfig.audience)
    .setIssuedAt();
  return (withExp ? jwt.setExpirationTime("5m") : jwt).sign(new TextEncoder().encode(secret));
};

const verifierFor = (jwt: Record<string, unknown>) =>
  createJwtVerifier(parseConfig({ auth: { mode: "jwt", jwt } }).auth.jwt!);

test("JWT mode refuses a token without exp by default (it would never expire)", async () => {
  const verify = verifierFor(jwtConfig);
  await assert.rejects(
    verify(await sign(false)),
    (error: { type: string; code: string; message: string }) => {
      assert.equal(error.type, "invalid_credentials");
      assert.equal(error.code, "missing_exp");
      assert.match(error.message, /exp/);
      return true;
    },
  );
  assert.equal((await verify(await sign(true))).userId, "exp-user");
  assert.equal(parseConfig({ auth: { mode: "jwt", jwt: jwtConfig } }).auth.jwt?.requireExp, true);
});

test("auth.jwt.requireExp: false accepts a token without exp, and still checks exp when present", async () => {
  const verify = verifierFor({ ...jwtConfig, requireExp: false });
  assert.equal((await verify(await sign(false))).userId, "exp-user");
  const expired = await new SignJWT({ sub: "exp-user" })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(jwtConfig.issuer)
    .setAudience(jwtConfig.audience)
    .setExpirationTime(Math.floor(Date.now() / 1000) - 600)
    .sign(new TextEncoder().encode(secret));
  await assert.rejects(verify(expired), { type: "invalid_credentials", code: "token_expired" });
});

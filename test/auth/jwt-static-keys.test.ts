import assert from "node:assert/strict";
import { test } from "node:test";
import { exportSPKI, generateKeyPair, SignJWT } from "jose";
import { createJwtVerifier } from "../../src/auth/index.ts";
import { SecretKey } from "../../src/keys/index.ts";

const base = { issuer: "https://id.example.com", audience: "byok-gateway", clockToleranceSeconds: 5 };
const sign = (key: Parameters<SignJWT["sign"]>[0], alg: string) =>
  new SignJWT({ sub: "static-user" })
    .setProtectedHeader({ alg })
    .setIssuer(base.issuer)
    .setAudience(base.audience)
    .setExpirationTime("5m")
    .sign(key);

test("JWT mode with a shared secret and with a PEM public key", async () => {
  const secret = "a-shared-jwt-secret-of-32-characters-or-more";
  const withSecret = createJwtVerifier({ ...base, secret: new SecretKey(secret) });
  const hs = await sign(new TextEncoder().encode(secret), "HS256");
  assert.equal((await withSecret(hs)).userId, "static-user");
  const forged = await sign(new TextEncoder().encode(`${secret}-other`), "HS256");
  await assert.rejects(withSecret(forged), { type: "invalid_credentials", code: "invalid_token" });

  const pair = await generateKeyPair("ES256");
  const withPem = createJwtVerifier({ ...base, publicKey: await exportSPKI(pair.publicKey) });
  assert.equal((await withPem(await sign(pair.privateKey, "ES256"))).userId, "static-user");
  await assert.rejects(withPem(hs), { type: "invalid_credentials" });
  assert.throws(() => createJwtVerifier({ ...base, publicKey: "not a pem" }), /not a valid PEM/);
});

/**
 * @module auth/create-jwt-verifier
 * JWT mode: verifies bearer JWTs with jose against a JWKS URL, a PEM public key or a shared secret.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import { createRequire } from "node:module";
import type * as Jose from "jose";
import type { JWTPayload, JWTVerifyGetKey } from "jose";
import type { GatewayConfig } from "../config/config-schema.ts";
import { GatewayError } from "../errors/gateway-error.ts";
import { isUserId, type Principal } from "./principal.ts";

type ParsedJwtSettings = NonNullable<GatewayConfig["auth"]["jwt"]>;
/** The parsed settings; `requireExp` is true unless it is false. */
type JwtSettings = Omit<ParsedJwtSettings, "requireExp"> & { readonly requireExp?: boolean };

/** jose is loaded only in JWT mode (synchronously: require(esm)), so token-mode processes never pay its memory. */
const loadJose = (): typeof Jose => createRequire(import.meta.url)("jose") as typeof Jose;

export type JwtVerifier = (token: string) => Promise<Principal>;

/** Always a key-resolving function (a remote JWKS, or a fixed key), so there is one verify call. */
function keySource(settings: JwtSettings, jose: typeof Jose): JWTVerifyGetKey {
  if (settings.jwksUrl) return jose.createRemoteJWKSet(new URL(settings.jwksUrl), { timeoutDuration: 5_000 });
  if (settings.secret) {
    const secret = new TextEncoder().encode(settings.secret.reveal());
    return () => secret;
  }
  let key: KeyObject;
  try {
    key = createPublicKey(settings.publicKey ?? "");
  } catch {
    throw new Error("auth.jwt.publicKey is not a valid PEM public key");
  }
  return () => key;
}

function mapJoseError(error: unknown, joseErrors: typeof Jose.errors): GatewayError {
  if (error instanceof joseErrors.JWTExpired) {
    return new GatewayError("invalid_credentials", {
      message: "The bearer token has expired.",
      code: "token_expired",
    });
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === "exp" && error.reason === "missing") {
      return new GatewayError("invalid_credentials", {
        message: 'The bearer token has no "exp" claim; tokens that never expire are not accepted.',
        code: "missing_exp",
      });
    }
    return new GatewayError("invalid_credentials", {
      message: `The bearer token's "${error.claim}" claim is not accepted.`,
      code: `invalid_${error.claim}`,
    });
  }
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) {
    return new GatewayError("service_unavailable", {
      message: "The identity provider's signing keys are unavailable.",
      code: "jwks_unavailable",
    });
  }
  return new GatewayError("invalid_credentials", {
    message: "The bearer token's signature or format is not valid.",
    code: "invalid_token",
  });
}

export function createJwtVerifier(settings: JwtSettings): JwtVerifier {
  const jose = loadJose();
  const key = keySource(settings, jose);
  const algorithms = settings.algorithms ?? (settings.secret ? ["HS256", "HS384", "HS512"] : undefined);
  return async (token) => {
    let payload: JWTPayload;
    try {
      const verified = await jose.jwtVerify(token, key, {
        issuer: settings.issuer,
        audience: settings.audience,
        algorithms,
        clockTolerance: settings.clockToleranceSeconds,
        // A token without `exp` would never expire: refused unless the operator opted out.
        requiredClaims: settings.requireExp === false ? [] : ["exp"],
      });
      payload = verified.payload;
    } catch (error) {
      throw mapJoseError(error, jose.errors);
    }
    if (!isUserId(payload.sub)) {
      throw new GatewayError("invalid_credentials", {
        message: "The bearer token has no usable `sub` claim.",
        code: "invalid_sub",
      });
    }
    const planValue = settings.planClaim ? payload[settings.planClaim] : undefined;
    return Object.freeze({
      userId: payload.sub,
      plan: typeof planValue === "string" ? planValue : null,
      via: "jwt",
    });
  };
}

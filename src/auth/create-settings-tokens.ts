/**
 * @module auth/create-settings-tokens
 * Settings tokens (`bst_` + an HS256 JWT, audience `byok-settings`): short-lived, stateless sign-ins for the
 * settings page, minted by the admin API; signed with a key derived from the pepper; refused once the user is revoked.
 */
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import type * as Jose from "jose";
import { GatewayError } from "../errors/gateway-error.ts";
import type { Store } from "../store/store-types.ts";
import { isUserId, type Principal } from "./principal.ts";

export const SETTINGS_TOKEN_PREFIX = "bst_";
export const SETTINGS_AUDIENCE = "byok-settings";
const ISSUER = "byok-gateway";
/** HKDF `info` of the signing key: a key for this purpose only. */
export const SETTINGS_KEY_INFO = "byok-gateway settings-token v1";
export const SETTINGS_TTL = { min: 60, max: 3600, default: 900 } as const;

/** Loaded on first use (synchronously: require(esm)), so a gateway that never sees a settings token pays nothing. */
const loadJose = (): typeof Jose => createRequire(import.meta.url)("jose") as typeof Jose;

export interface IssuedSettingsToken {
  readonly token: string;
  /** ISO time after which the token is refused. */
  readonly expiresAt: string;
}

export interface SettingsTokens {
  issue(userId: string, ttlSeconds: number): Promise<IssuedSettingsToken>;
  /** A `bst_…` token → the user's principal, or a 401 (bad signature, expired, wrong audience, revoked user). */
  verify(token: string): Promise<Principal>;
}

export interface SettingsTokensOptions {
  /** Signing keys, newest first: tokens are signed with the first and accepted under any (pepper rotation). */
  readonly keys: readonly Uint8Array[];
  readonly store: Store;
  readonly now?: () => number;
}

export function isSettingsToken(token: string): boolean {
  return token.startsWith(SETTINGS_TOKEN_PREFIX);
}

const refused = (message: string, code: string) => new GatewayError("invalid_credentials", { message, code });

export function createSettingsTokens(options: SettingsTokensOptions): SettingsTokens {
  if (options.keys.length === 0) throw new Error("createSettingsTokens: at least one key is required");
  const now = options.now ?? Date.now;
  let jose: typeof Jose | undefined;
  const lib = () => {
    jose ??= loadJose();
    return jose;
  };

  async function readSubject(jwt: string): Promise<string> {
    const { jwtVerify, errors } = lib();
    let last: unknown;
    for (const key of options.keys) {
      try {
        const { payload } = await jwtVerify(jwt, key, {
          algorithms: ["HS256"],
          audience: SETTINGS_AUDIENCE,
          issuer: ISSUER,
          requiredClaims: ["exp", "sub"],
          currentDate: new Date(now()),
        });
        if (!isUserId(payload.sub)) break;
        return payload.sub;
      } catch (error) {
        last = error;
        if (!(error instanceof errors.JWSSignatureVerificationFailed)) break; // only a key mismatch tries the next
      }
    }
    if (last instanceof errors.JWTExpired) throw refused("The settings link has expired.", "token_expired");
    throw refused("The settings token is not valid.", "invalid_token");
  }

  return {
    async issue(userId, ttlSeconds) {
      const issuedAt = Math.floor(now() / 1000);
      const expires = issuedAt + ttlSeconds;
      const jwt = await new (lib().SignJWT)({})
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setIssuer(ISSUER)
        .setAudience(SETTINGS_AUDIENCE)
        .setSubject(userId)
        .setIssuedAt(issuedAt)
        .setExpirationTime(expires)
        .setJti(randomUUID())
        .sign(options.keys[0]!);
      return { token: `${SETTINGS_TOKEN_PREFIX}${jwt}`, expiresAt: new Date(expires * 1000).toISOString() };
    },
    async verify(token) {
      const userId = await readSubject(token.slice(SETTINGS_TOKEN_PREFIX.length));
      // Stateless but not unrevocable: a revoked (or deleted) user's links stop working at once.
      const user = await options.store.users.get(userId);
      if (user === null || user.revokedAt !== null) {
        throw refused("The settings token's user is revoked.", "user_revoked");
      }
      return Object.freeze({ userId: user.id, plan: user.plan, via: "settings" as const });
    },
  };
}

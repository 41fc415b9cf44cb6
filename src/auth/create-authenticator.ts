/**
 * @module auth/create-authenticator
 * `Authorization: Bearer …` → a Principal, or a 401: gateway tokens (cached by hash) or JWTs.
 */
import { LRUCache } from "lru-cache";
import type { GatewayConfig } from "../config/config-schema.ts";
import { GatewayError } from "../errors/gateway-error.ts";
import type { InvalidationBus } from "../store/invalidation-bus.ts";
import type { Store } from "../store/store-types.ts";
import { createJwtVerifier } from "./create-jwt-verifier.ts";
import { isSettingsToken, type SettingsTokens } from "./create-settings-tokens.ts";
import { hashToken, isGatewayTokenShape } from "./gateway-tokens.ts";
import type { Principal } from "./principal.ts";

export interface AuthenticateOptions {
  /** Whether a settings token (`bst_…`) is accepted here: only on the routes the settings page calls. */
  readonly allowSettingsToken?: boolean;
}

export interface Authenticator {
  authenticate(authorization: string | undefined, options?: AuthenticateOptions): Promise<Principal>;
}

export interface AuthenticatorOptions {
  readonly auth: GatewayConfig["auth"];
  readonly store: Store;
  readonly bus: InvalidationBus;
  readonly cacheSize?: number;
  /** Verifies settings tokens; without it they are refused everywhere. */
  readonly settingsTokens?: SettingsTokens;
}

/** A bearer token (already read from its header) → a Principal, or a 401. */
type TokenAuthenticator = (token: string) => Promise<Principal>;

function withSettingsTokens(
  inner: TokenAuthenticator,
  settingsTokens: SettingsTokens | undefined,
): Authenticator {
  return {
    authenticate(authorization, authenticateOptions) {
      const token = readBearer(authorization); // read once: the inner authenticator takes the token
      if (!isSettingsToken(token)) return inner(token);
      if (settingsTokens === undefined || authenticateOptions?.allowSettingsToken !== true) {
        throw new GatewayError("invalid_credentials", {
          message:
            "A settings token is accepted only on the enrollment, heartbeat, verify, routes and usage endpoints.",
          code: "settings_token_not_accepted",
        });
      }
      return settingsTokens.verify(token);
    },
  };
}

const BEARER = /^Bearer[ ]+([^ ]+)[ ]*$/i;

function readBearer(authorization: string | undefined): string {
  if (authorization === undefined || authorization.trim() === "")
    throw new GatewayError("missing_credentials");
  const match = BEARER.exec(authorization);
  if (!match) {
    throw new GatewayError("missing_credentials", {
      message: "The Authorization header must be `Bearer <token>`.",
    });
  }
  return match[1]!;
}

export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  return withSettingsTokens(createBearerAuthenticator(options), options.settingsTokens);
}

function createBearerAuthenticator(options: AuthenticatorOptions): TokenAuthenticator {
  if (options.auth.mode === "jwt") {
    const verify = createJwtVerifier(options.auth.jwt!);
    return async (token) => verify(token);
  }

  const { store } = options;
  // The clock is read once a second, not once a millisecond (lru-cache arms a timer per reading): a
  // principal may outlive its 5 minutes by up to a second; revocations arrive on the bus regardless.
  // Bounded by count through maxSize (each entry counts 1), not `max`, which allocates every slot up front.
  const cache = new LRUCache<string, Principal>({
    maxSize: options.cacheSize ?? 100_000,
    sizeCalculation: () => 1,
    ttl: 5 * 60_000,
    ttlResolution: 1000,
  });
  let epoch = 0;
  const { bus } = options;
  bus.subscribe((message) => {
    if (message.topic === "resync") {
      epoch++;
      cache.clear(); // messages may have been missed: nothing cached can be trusted
      return;
    }
    if (message.topic !== "user") return;
    epoch++;
    for (const [hash, principal] of cache.entries()) {
      if (principal.userId === message.userId) cache.delete(hash);
    }
  });

  const invalid = () => new GatewayError("invalid_credentials", { code: "invalid_token" });

  return async (token) => {
    if (!isGatewayTokenShape(token)) throw invalid();
    const hash = hashToken(token);
    // While the bus may be missing revocations, every request reads the store.
    const cached = bus.trusted ? cache.get(hash) : undefined;
    if (cached) return cached;
    const seenEpoch = epoch;
    const record = await store.tokens.findByHash(hash);
    if (!record || record.revokedAt !== null) throw invalid();
    const user = await store.users.get(record.userId);
    if (!user || user.revokedAt !== null) throw invalid();
    const principal: Principal = Object.freeze({ userId: user.id, plan: user.plan, via: "token" });
    if (seenEpoch === epoch && bus.trusted) cache.set(hash, principal);
    return principal;
  };
}

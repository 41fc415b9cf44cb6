/**
 * @module metering/create-anonymous-limit
 * The per-client-IP limit on unauthenticated requests (no or bad credentials): past the limit, the address
 * is refused before authentication is even tried until its window frees, so guessing tokens gains nothing.
 * It should have a limiter of its own, so a flood of addresses cannot evict users' windows.
 */
import { LRUCache } from "lru-cache";
import { GatewayError } from "../errors/gateway-error.ts";
import type { RateLimiter } from "./rate-limits/index.ts";

export interface AnonymousLimit {
  /** Throws 429 while the address is refused. */
  check(address: string): void;
  /** Counts one unauthenticated request; throws 429 when it goes past the limit. */
  recordFailure(address: string): Promise<void>;
}

export interface AnonymousLimitOptions {
  readonly limiter: RateLimiter;
  /** Unauthenticated requests per minute per address; 0 switches the limit off. */
  readonly perMinute: number;
  readonly now?: () => number;
  readonly onRefused?: () => void;
}

function refused(retryAfterSeconds: number): GatewayError {
  return new GatewayError("rate_limited", {
    message: `Too many unauthenticated requests from this address; retry after ${retryAfterSeconds} s.`,
    code: "anonymous_requests_per_minute",
    headers: { "retry-after": String(retryAfterSeconds) },
  });
}

/** The key an address counts under: IPv4 as is, IPv6 by its /64 (one subscriber's whole allocation). */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(":")) return address;
  const [head = "", tail = ""] = address.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === "" ? [] : tail.split(":");
  const missing = address.includes("::") ? 8 - headGroups.length - tailGroups.length : 0;
  const groups = [...headGroups, ...Array<string>(Math.max(0, missing)).fill("0"), ...tailGroups];
  return `${groups
    .slice(0, 4)
    .map((group) => group.toLowerCase().replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

export function createAnonymousLimit(options: AnonymousLimitOptions): AnonymousLimit {
  const now = options.now ?? Date.now;
  // Bounded by count through maxSize (each entry counts 1), not `max`, which allocates every slot up front.
  const blockedUntil = new LRUCache<string, number>({ maxSize: 100_000, sizeCalculation: () => 1 });
  return {
    check(address) {
      // Every authenticated request passes here: nothing to look up while no address is refused.
      if (options.perMinute === 0 || blockedUntil.size === 0) return;
      const key = addressKey(address);
      const until = blockedUntil.get(key);
      if (until === undefined) return;
      if (until <= now()) {
        blockedUntil.delete(key);
        return;
      }
      options.onRefused?.();
      throw refused(Math.max(1, Math.ceil((until - now()) / 1000)));
    },
    async recordFailure(address) {
      if (options.perMinute === 0) return;
      const key = addressKey(address);
      const decision = await options.limiter.hit(`ip:${key}`, options.perMinute, 60_000);
      if (decision.ok) return;
      blockedUntil.set(key, now() + decision.retryAfterSeconds * 1000);
      options.onRefused?.();
      throw refused(decision.retryAfterSeconds);
    },
  };
}

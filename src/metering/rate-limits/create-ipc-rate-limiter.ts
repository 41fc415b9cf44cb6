/**
 * @module metering/rate-limits/create-ipc-rate-limiter
 * A worker's rate limiter: hits are taken from leases the primary grants out of what the limit leaves
 * (`create-hit-ledger.ts`), so most cost no IPC and limits stay exact across the workers of a host; used
 * hits are reported and the rest returned within `returnAfterMs`. Slots are decided by the primary's one
 * in-process limiter. A primary that does not answer in time is a 503 (`cluster_unavailable`), never a pass.
 */
import { randomUUID } from "node:crypto";
import { LRUCache } from "lru-cache";
import type { IpcEndpoint } from "../../cluster/create-ipc-endpoint.ts";
import type { RateDecision, RateLimiter, SlotDecision } from "./rate-limiter.ts";

export const RATE_LEASE = "limits.lease";
export const RATE_REPORT = "limits.report";
export const RATE_ACQUIRE = "limits.acquire";
export const RATE_RELEASE = "limits.release";
/** The primary asks this worker to hand back a key's unused hits now (one service per limiter). */
export const recallService = (limiter: string) => `limits.recall.${limiter}`;

export interface IpcRateLimiterOptions {
  /** Which of the primary's limiters decides (`users`, `anonymous`): each has its own keys. */
  readonly limiter: string;
  /** Default 5000 ms. */
  readonly timeoutMs?: number;
  /** A lease's used hits are reported and the rest returned this long after its first use. Default 50 ms. */
  readonly returnAfterMs?: number;
  /** Milliseconds, monotonic by default (only differences are sent: the primary's clock may differ). */
  readonly now?: () => number;
}

/** A lease held by this worker for one key. */
interface HeldLease {
  readonly leaseId: number;
  readonly limit: number;
  readonly windowMs: number;
  left: number;
  /** When this worker stops using it: measured from before the ask, so never after the primary's end. */
  readonly usableUntil: number;
  readonly usedAt: number[];
}

interface KeyState {
  lease: HeldLease | null;
  /** The ask in flight, which every hit of this key waiting for a lease follows. */
  asking: Promise<RateDecision> | null;
  /** What to ask for next: doubled each time a lease runs out before its return, halved otherwise. */
  want: number;
  returnTimer: NodeJS.Timeout | null;
}

const PASS: RateDecision = { ok: true };
/** A key's first ask is for one hit (a lease bigger than the demand could refuse other workers early). */
const FIRST_WANT = 1;
const MAX_WANT = 4_096;
/** Keys whose last lease size is remembered between leases (a busy key starts where it left off). */
const REMEMBERED_WANTS = 10_000;

function checkArguments(limit: number, what: string): void {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`${what} must be a positive integer`);
}

/** A lease decision from the channel; anything else is a broken peer. */
function parseLease(value: unknown): { leaseId: number; granted: number; leaseMs: number } | RateDecision {
  const { ok, retryAfterSeconds, leaseId, granted, leaseMs } = (value ?? {}) as Record<string, unknown>;
  if (
    ok === true &&
    typeof leaseId === "number" &&
    typeof granted === "number" &&
    typeof leaseMs === "number"
  )
    return { leaseId, granted, leaseMs };
  if (ok === false && typeof retryAfterSeconds === "number") return { ok: false, retryAfterSeconds };
  throw new TypeError("the primary answered a malformed rate decision");
}

/** A slot decision from the channel; anything else is a broken peer. */
function parseDecision(value: unknown): RateDecision {
  const { ok, retryAfterSeconds } = (value ?? {}) as Record<string, unknown>;
  if (ok === true) return { ok: true };
  if (ok === false && typeof retryAfterSeconds === "number") return { ok: false, retryAfterSeconds };
  throw new TypeError("the primary answered a malformed rate decision");
}

export function createIpcRateLimiter(endpoint: IpcEndpoint, options: IpcRateLimiterOptions): RateLimiter {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const returnAfterMs = options.returnAfterMs ?? 50;
  const now = options.now ?? (() => performance.now());
  const limiter = options.limiter;
  const states = new Map<string, KeyState>();
  const wants = new LRUCache<string, number>({ max: REMEMBERED_WANTS });

  /** What a lease used (ages, as the primary logs them) and, when `done`, the rest handed back. */
  const reportOf = (lease: HeldLease, done: boolean) => {
    const at = now();
    return { limiter, leaseId: lease.leaseId, agesMs: lease.usedAt.map((usedAt) => at - usedAt), done };
  };

  /** Drops an idle key's state, remembering the size of lease it had reached. */
  function forget(key: string, state: KeyState): void {
    if (states.get(key) === state) states.delete(key);
    if (state.want > FIRST_WANT) wants.set(key, state.want);
    else wants.delete(key);
  }

  /** Reports the key's lease and returns what is left (the state is forgotten unless an ask is in flight). */
  function returnLease(key: string, state: KeyState): void {
    if (state.returnTimer !== null) clearTimeout(state.returnTimer);
    state.returnTimer = null;
    const { lease } = state;
    if (lease === null) return;
    state.lease = null;
    if (lease.left > 0) state.want = Math.max(1, state.want >> 1);
    endpoint.notify(RATE_REPORT, reportOf(lease, true));
    if (state.asking === null) forget(key, state);
  }

  function takeFromLease(key: string, state: KeyState, limit: number, windowMs: number): boolean {
    const { lease } = state;
    if (lease === null || lease.left === 0 || lease.limit !== limit || lease.windowMs !== windowMs)
      return false;
    const at = now();
    if (at >= lease.usableUntil) return false;
    lease.left--;
    lease.usedAt.push(at);
    if (state.returnTimer === null) {
      state.returnTimer = setTimeout(() => returnLease(key, state), returnAfterMs);
      state.returnTimer.unref();
    }
    return true;
  }

  /** Asks the primary for a lease, handing back the spent one in the same message. */
  async function ask(key: string, state: KeyState, limit: number, windowMs: number): Promise<RateDecision> {
    const previous = state.lease;
    if (state.returnTimer !== null) clearTimeout(state.returnTimer);
    state.returnTimer = null;
    if (previous !== null) {
      if (previous.left === 0) state.want = Math.min(MAX_WANT, state.want * 2);
      state.lease = null;
    }
    const askedAt = now();
    const answer = parseLease(
      await endpoint.request(
        RATE_LEASE,
        {
          limiter,
          key,
          limit,
          windowMs,
          want: state.want,
          ...(previous === null ? {} : { previous: reportOf(previous, true) }),
        },
        timeoutMs,
      ),
    );
    if ("ok" in answer) return answer;
    state.lease = {
      leaseId: answer.leaseId,
      limit,
      windowMs,
      left: answer.granted,
      usableUntil: askedAt + answer.leaseMs,
      usedAt: [],
    };
    return PASS;
  }

  // Another worker was refused while this one holds unused hits of the key: hand them back at once.
  endpoint.handle(recallService(limiter), (payload) => {
    const key = (payload as { key?: unknown } | null)?.key;
    const state = typeof key === "string" ? states.get(key) : undefined;
    if (state !== undefined && typeof key === "string") returnLease(key, state);
  });

  async function hit(key: string, limit: number, windowMs: number): Promise<RateDecision> {
    for (;;) {
      let state = states.get(key);
      if (state === undefined) {
        state = { lease: null, asking: null, want: wants.get(key) ?? FIRST_WANT, returnTimer: null };
        states.set(key, state);
      }
      if (takeFromLease(key, state, limit, windowMs)) return PASS;
      const current = state;
      current.asking ??= ask(key, current, limit, windowMs).finally(() => {
        current.asking = null;
        if (current.lease === null && current.returnTimer === null) forget(key, current);
      });
      const decision = await current.asking;
      if (!decision.ok) return decision;
    }
  }

  return {
    async hit(key, limit, windowMs) {
      checkArguments(limit, "limit");
      if (!Number.isFinite(windowMs) || windowMs <= 0) throw new RangeError("windowMs must be positive");
      return hit(key, limit, windowMs);
    },
    async acquire(key, max): Promise<SlotDecision> {
      checkArguments(max, "max");
      // The worker names the slot, so it can give it back even when the answer came too late.
      const slotId = randomUUID();
      const release = () => endpoint.notify(RATE_RELEASE, { slotId });
      let decision: RateDecision;
      try {
        decision = parseDecision(
          await endpoint.request(RATE_ACQUIRE, { limiter, key, max, slotId }, timeoutMs),
        );
      } catch (error) {
        release(); // taken after our time-out, or never: either way the primary forgets it
        throw error;
      }
      if (!decision.ok) return decision;
      let released = false;
      return {
        ok: true,
        release() {
          if (released) return;
          released = true;
          release();
        },
      };
    },
  };
}

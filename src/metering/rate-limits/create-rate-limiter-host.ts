/**
 * @module metering/rate-limits/create-rate-limiter-host
 * The primary's side of the workers' rate limits: per named limiter, the hit ledger that grants workers
 * leases of hits and logs what they used, and the slots each worker holds; what a gone worker (exited,
 * killed or disconnected) held is settled: its leased hits count as used, its slots are released.
 */
import type { IpcEndpoint } from "../../cluster/create-ipc-endpoint.ts";
import { createHitLedger, type HitLedger } from "./create-hit-ledger.ts";
import { RATE_ACQUIRE, RATE_LEASE, RATE_RELEASE, RATE_REPORT } from "./create-ipc-rate-limiter.ts";
import type { RateLimiter, RateSlot } from "./rate-limiter.ts";

export interface RateLimiterHost {
  attach(workerId: number, endpoint: IpcEndpoint): void;
  /** Releases every slot the worker still held; its leased hits count as used. */
  detach(workerId: number): void;
  /** Slots held now by all workers (for tests and metrics). */
  readonly heldSlots: number;
  /** Hits leased to workers and not yet reported used or returned (for tests and metrics). */
  readonly leasedHits: number;
}

export interface RateLimiterHostOptions {
  /** The ledgers' clock (ms, monotonic by default). */
  readonly now?: () => number;
  /** A lease not returned within this long counts as wholly used. Default 1000 ms. */
  readonly leaseMs?: number;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null;

const positive = (value: unknown): value is number => typeof value === "number" && value > 0;

/** `limiters` decide slots; each name also gets a hit ledger of its own (its own keys). */
export function createRateLimiterHost(
  limiters: Readonly<Record<string, RateLimiter>>,
  options: RateLimiterHostOptions = {},
): RateLimiterHost {
  const slotsByWorker = new Map<number, Map<string, RateSlot>>();
  const ledgers = new Map<string, HitLedger>();
  for (const name of Object.keys(limiters))
    ledgers.set(
      name,
      createHitLedger({
        holders: () => Math.max(1, slotsByWorker.size),
        ...(options.now ? { now: options.now } : {}),
        ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
      }),
    );

  const ledgerOf = (payload: Record<string, unknown>): HitLedger => {
    const ledger = typeof payload.limiter === "string" ? ledgers.get(payload.limiter) : undefined;
    if (ledger === undefined) throw new TypeError("not a rate-limit request");
    return ledger;
  };

  /** A worker's report of a lease: its used hits' ages, and whether it hands back the rest. */
  function applyReport(workerId: number, payload: unknown): void {
    if (!isRecord(payload) || typeof payload.leaseId !== "number" || !Array.isArray(payload.agesMs)) return;
    const ages = payload.agesMs.filter((age): age is number => typeof age === "number" && age >= 0);
    ledgerOf(payload).report(workerId, payload.leaseId, ages, payload.done === true);
  }

  return {
    attach(workerId, endpoint) {
      const held = new Map<string, RateSlot>();
      slotsByWorker.set(workerId, held);
      endpoint.handle(RATE_LEASE, (payload) => {
        if (!isRecord(payload)) throw new TypeError("not a rate-limit request");
        const ledger = ledgerOf(payload);
        const { key, limit, windowMs, want } = payload;
        if (typeof key !== "string" || !positive(limit) || !positive(windowMs) || !positive(want))
          throw new TypeError("not a rate-limit request");
        if (payload.previous !== undefined) applyReport(workerId, payload.previous);
        return ledger.lease(workerId, { key, limit, windowMs, want });
      });
      endpoint.handle(RATE_REPORT, (payload) => applyReport(workerId, payload));
      endpoint.handle(RATE_ACQUIRE, async (payload) => {
        if (!isRecord(payload)) throw new TypeError("not a rate-limit request");
        const limiter = typeof payload.limiter === "string" ? limiters[payload.limiter] : undefined;
        const { key, max, slotId } = payload;
        if (
          limiter === undefined ||
          typeof key !== "string" ||
          typeof max !== "number" ||
          typeof slotId !== "string"
        )
          throw new TypeError("not a rate-limit request");
        const decision = await limiter.acquire(key, max);
        if (!decision.ok) return { ok: false, retryAfterSeconds: decision.retryAfterSeconds };
        if (slotsByWorker.get(workerId) === held) held.set(slotId, decision);
        else decision.release(); // the worker went away while we decided
        return { ok: true };
      });
      endpoint.handle(RATE_RELEASE, (payload) => {
        const slotId = isRecord(payload) ? payload.slotId : undefined;
        if (typeof slotId !== "string") return;
        held.get(slotId)?.release();
        held.delete(slotId);
      });
    },
    detach(workerId) {
      const held = slotsByWorker.get(workerId);
      slotsByWorker.delete(workerId);
      for (const slot of held?.values() ?? []) slot.release();
      for (const ledger of ledgers.values()) ledger.dropHolder(workerId);
    },
    get heldSlots() {
      let total = 0;
      for (const held of slotsByWorker.values()) total += held.size;
      return total;
    },
    get leasedHits() {
      let total = 0;
      for (const ledger of ledgers.values()) total += ledger.held;
      return total;
    },
  };
}

/**
 * @module metering/rate-limits/create-rate-limiter-host
 * The primary's side of the workers' rate limits: per named limiter, the hit ledger that grants workers
 * leases of hits and logs what they used, and the slots each worker holds; what a gone worker (exited,
 * killed or disconnected) held is settled: its leased hits count as used, its slots are released.
 */
import type { IpcEndpoint } from "../../cluster/create-ipc-endpoint.ts";
import { createHitLedger, type HitLedger, type LeaseAsk } from "./create-hit-ledger.ts";
import {
  RATE_ACQUIRE,
  RATE_LEASE,
  RATE_RELEASE,
  RATE_REPORT,
  recallService,
} from "./create-ipc-rate-limiter.ts";
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
  /** How long a refused ask waits for the hits other workers recall before it is answered. Default 50 ms. */
  readonly recallWaitMs?: number;
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
  const endpoints = new Map<number, IpcEndpoint>();
  const recallWaitMs = options.recallWaitMs ?? 50;
  /** Asks refused while other workers held unused hits, waiting for a report (any) to look again. */
  const recalling = new Set<() => void>();
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
    for (const wake of recalling) wake();
  }

  /**
   * A lease refused while other workers hold hits they have not used: they are asked to hand them back
   * now, and the ask is decided again once one reports (or after `recallWaitMs`), so a worker is not
   * refused for what another merely holds.
   */
  async function leaseOrRecall(workerId: number, limiter: string, ledger: HitLedger, ask: LeaseAsk) {
    const first = ledger.lease(workerId, ask);
    const holders = first.ok ? [] : ledger.holdersOf(ask.key, workerId);
    if (holders.length === 0) return first;
    for (const holder of holders) endpoints.get(holder)?.notify(recallService(limiter), { key: ask.key });
    const deadline = performance.now() + recallWaitMs;
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0) return ledger.lease(workerId, ask);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          recalling.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        recalling.add(wake);
      });
      const again = ledger.lease(workerId, ask);
      if (again.ok || ledger.holdersOf(ask.key, workerId).length === 0) return again;
    }
  }

  return {
    attach(workerId, endpoint) {
      const held = new Map<string, RateSlot>();
      slotsByWorker.set(workerId, held);
      endpoints.set(workerId, endpoint);
      endpoint.handle(RATE_LEASE, (payload) => {
        if (!isRecord(payload) || typeof payload.limiter !== "string")
          throw new TypeError("not a rate-limit request");
        const ledger = ledgerOf(payload);
        const { key, limit, windowMs, want } = payload;
        if (typeof key !== "string" || !positive(limit) || !positive(windowMs) || !positive(want))
          throw new TypeError("not a rate-limit request");
        if (payload.previous !== undefined) applyReport(workerId, payload.previous);
        return leaseOrRecall(workerId, payload.limiter, ledger, { key, limit, windowMs, want });
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
      endpoints.delete(workerId);
      for (const slot of held?.values() ?? []) slot.release();
      for (const ledger of ledgers.values()) ledger.dropHolder(workerId);
      for (const wake of recalling) wake();
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

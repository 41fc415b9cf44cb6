/**
 * @module metering/rate-limits/create-rate-limiter-host
 * The primary's side of the workers' rate limits: named in-process limiters answering every worker, and
 * the slots each worker holds, released when that worker is gone (exited, killed or disconnected).
 */
import type { IpcEndpoint } from "../../cluster/create-ipc-endpoint.ts";
import { RATE_ACQUIRE, RATE_HIT, RATE_RELEASE } from "./create-ipc-rate-limiter.ts";
import type { RateLimiter, RateSlot } from "./rate-limiter.ts";

export interface RateLimiterHost {
  attach(workerId: number, endpoint: IpcEndpoint): void;
  /** Releases every slot the worker still held. */
  detach(workerId: number): void;
  /** Slots held now by all workers (for tests and metrics). */
  readonly heldSlots: number;
}

interface Ask {
  readonly limiter: RateLimiter;
  readonly key: string;
  readonly count: number;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null;

export function createRateLimiterHost(limiters: Readonly<Record<string, RateLimiter>>): RateLimiterHost {
  const slotsByWorker = new Map<number, Map<string, RateSlot>>();

  function parseAsk(payload: unknown, countField: "limit" | "max"): Ask {
    if (!isRecord(payload)) throw new TypeError("not a rate-limit request");
    const limiter = typeof payload.limiter === "string" ? limiters[payload.limiter] : undefined;
    const count = payload[countField];
    if (limiter === undefined || typeof payload.key !== "string" || typeof count !== "number")
      throw new TypeError("not a rate-limit request");
    return { limiter, key: payload.key, count };
  }

  return {
    attach(workerId, endpoint) {
      const held = new Map<string, RateSlot>();
      slotsByWorker.set(workerId, held);
      endpoint.handle(RATE_HIT, (payload) => {
        const ask = parseAsk(payload, "limit");
        const windowMs = (payload as Record<string, unknown>).windowMs;
        if (typeof windowMs !== "number") throw new TypeError("not a rate-limit request");
        return ask.limiter.hit(ask.key, ask.count, windowMs);
      });
      endpoint.handle(RATE_ACQUIRE, async (payload) => {
        const ask = parseAsk(payload, "max");
        const slotId = (payload as Record<string, unknown>).slotId;
        if (typeof slotId !== "string") throw new TypeError("not a rate-limit request");
        const decision = await ask.limiter.acquire(ask.key, ask.count);
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
    },
    get heldSlots() {
      let total = 0;
      for (const held of slotsByWorker.values()) total += held.size;
      return total;
    },
  };
}

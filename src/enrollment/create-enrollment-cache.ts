/**
 * @module enrollment/create-enrollment-cache
 * A bounded per-process cache of enrollments, dropped the moment an invalidation arrives (no expiry wait);
 * emptied on a resync, and bypassed while the bus cannot be trusted (it may be missing messages).
 */
import { LRUCache } from "lru-cache";
import type { InvalidationBus } from "../store/invalidation-bus.ts";
import type { EnrollmentRecord, Store } from "../store/store-types.ts";

export interface EnrollmentCache {
  /** The user's enrollment (or null), from memory when warm. */
  get(userId: string): Promise<EnrollmentRecord | null>;
  readonly size: number;
}

export interface EnrollmentCacheOptions {
  readonly store: Store;
  readonly bus: InvalidationBus;
  readonly max: number;
}

const NONE = Symbol("no enrollment");

export function createEnrollmentCache(options: EnrollmentCacheOptions): EnrollmentCache {
  // Bounded by count through maxSize (each entry counts 1), not `max`, which allocates every slot up front.
  const cache = new LRUCache<string, EnrollmentRecord | typeof NONE>({
    maxSize: options.max,
    sizeCalculation: () => 1,
  });
  // Any invalidation while a read is in flight stops that read from filling the cache with stale data.
  let epoch = 0;
  const { bus } = options;
  bus.subscribe((message) => {
    if (message.topic === "resync") {
      epoch++;
      cache.clear();
      return;
    }
    if (message.topic !== "enrollment") return;
    epoch++;
    cache.delete(message.userId);
  });
  return {
    async get(userId) {
      const hit = bus.trusted ? cache.get(userId) : undefined;
      if (hit !== undefined) return hit === NONE ? null : hit;
      const seenEpoch = epoch;
      const record = await options.store.enrollments.get(userId);
      if (seenEpoch === epoch && bus.trusted) cache.set(userId, record ?? NONE);
      return record;
    },
    get size() {
      return cache.size;
    },
  };
}

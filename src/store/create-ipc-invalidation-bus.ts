/**
 * @module store/create-ipc-invalidation-bus
 * The invalidation bus of a worker process, and the primary's relay: a worker delivers a message to its
 * own subscribers at once, then the primary relays it to every other worker and answers only when all
 * of them have applied it, so a revocation has reached every worker's caches and open calls before the
 * admin call that made it returns.
 */
import type { IpcEndpoint } from "../cluster/create-ipc-endpoint.ts";
import {
  createLocalInvalidationBus,
  type InvalidationBus,
  type UserInvalidation,
} from "./invalidation-bus.ts";

const PUBLISH = "bus.publish";
const DELIVER = "bus.deliver";

export interface IpcInvalidationBusOptions {
  /** How long a publish waits for the primary (which waits for every other worker). Default 6000 ms. */
  readonly timeoutMs?: number;
}

/** An invalidation from the channel, shape-checked; null when it is not one. */
export function parseInvalidation(value: unknown): UserInvalidation | null {
  if (typeof value !== "object" || value === null) return null;
  const { topic, userId, cut } = value as Record<string, unknown>;
  if ((topic !== "enrollment" && topic !== "user") || typeof userId !== "string") return null;
  if (cut !== undefined && cut !== "user_revoked" && cut !== "enrollment_changed") return null;
  return cut === undefined ? { topic, userId } : { topic, userId, cut };
}

/** A worker's bus: local subscribers first, then every other worker through the primary. */
export function createIpcInvalidationBus(
  endpoint: IpcEndpoint,
  options: IpcInvalidationBusOptions = {},
): InvalidationBus {
  const local = createLocalInvalidationBus();
  const timeoutMs = options.timeoutMs ?? 6_000;
  endpoint.handle(DELIVER, async (payload) => {
    const message = parseInvalidation(payload);
    if (message !== null) await local.publish(message);
    return message !== null;
  });
  return {
    async publish(message) {
      await local.publish(message);
      await endpoint.request(PUBLISH, message, timeoutMs);
    },
    subscribe: (listener) => local.subscribe(listener),
    // The primary answers every publish only once every other worker applied it: nothing is missed.
    trusted: true,
    close: () => local.close(),
  };
}

export interface InvalidationRelay {
  /** Serves a worker's publishes and delivers others' to it. */
  attach(workerId: number, endpoint: IpcEndpoint): void;
  detach(workerId: number): void;
}

export interface InvalidationRelayOptions {
  /** How long one worker may take to apply a message. Default 5000 ms. */
  readonly deliverTimeoutMs?: number;
  /**
   * A live worker did not confirm a delivery in time: its caches may be stale. Called before the
   * publisher gets its answer, so the caller can stop that worker first.
   */
  readonly onDeliveryFailed?: (workerId: number, error: unknown) => void;
}

export function createInvalidationRelay(options: InvalidationRelayOptions = {}): InvalidationRelay {
  const workers = new Map<number, IpcEndpoint>();
  const deliverTimeoutMs = options.deliverTimeoutMs ?? 5_000;
  return {
    attach(workerId, endpoint) {
      workers.set(workerId, endpoint);
      endpoint.handle(PUBLISH, async (payload) => {
        const message = parseInvalidation(payload);
        if (message === null) return 0;
        const others = [...workers].filter(([id, other]) => id !== workerId && !other.closed);
        const results = await Promise.allSettled(
          others.map(([, other]) => other.request(DELIVER, message, deliverTimeoutMs)),
        );
        results.forEach((result, index) => {
          const [id, other] = others[index]!;
          if (result.status === "rejected" && !other.closed) options.onDeliveryFailed?.(id, result.reason);
        });
        return results.filter((result) => result.status === "fulfilled").length;
      });
    },
    detach(workerId) {
      workers.delete(workerId);
    },
  };
}

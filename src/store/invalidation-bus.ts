/**
 * @module store/invalidation-bus
 * Tells every cache that a user's enrollment or credentials changed; in-process now, Redis across replicas later.
 */

export type InvalidationTopic = "enrollment" | "user";

export interface Invalidation {
  readonly topic: InvalidationTopic;
  readonly userId: string;
}

export interface InvalidationBus {
  /** Delivers to every subscriber (in this process synchronously, before it returns). */
  publish(message: Invalidation): Promise<void>;
  subscribe(listener: (message: Invalidation) => void): () => void;
  close(): Promise<void>;
}

export function createLocalInvalidationBus(): InvalidationBus {
  const listeners = new Set<(message: Invalidation) => void>();
  return {
    async publish(message) {
      for (const listener of listeners) listener(message);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
    },
  };
}

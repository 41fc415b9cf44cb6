/**
 * @module store/invalidation-bus
 * Tells every cache that a user's enrollment or credentials changed; in-process now, Redis across replicas later.
 */

export type InvalidationTopic = "enrollment" | "user";

export interface Invalidation {
  readonly topic: InvalidationTopic;
  readonly userId: string;
  /**
   * Set when the change must also end the user's calls in flight (docs/security-model.md): the user was
   * revoked (every call), or their enrollment was deleted or its keys changed (calls on their own keys).
   * Absent for changes that leave open calls valid (a heartbeat, a plan change, a pepper upgrade).
   */
  readonly cut?: "user_revoked" | "enrollment_changed";
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

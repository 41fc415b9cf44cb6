/**
 * @module store/invalidation-bus
 * Tells every cache that a user's enrollment or credentials changed: in this process, or through Redis
 * pub/sub to every replica (`create-redis-invalidation-bus.ts`).
 */

export type InvalidationTopic = "enrollment" | "user";

export interface UserInvalidation {
  readonly topic: InvalidationTopic;
  readonly userId: string;
  /**
   * Set when the change must also end the user's calls in flight (docs/security-model.md): the user was
   * revoked (every call), or their enrollment was deleted or its keys changed (calls on their own keys).
   * Absent for changes that leave open calls valid (a heartbeat, a plan change, a pepper upgrade).
   */
  readonly cut?: "user_revoked" | "enrollment_changed";
}

/**
 * Messages may have been missed (the bus lost its connection, or got it back): every cache drops
 * everything it holds. Delivered only to this process's listeners, never published.
 */
export interface Resync {
  readonly topic: "resync";
}

export type Invalidation = UserInvalidation | Resync;

export interface InvalidationBus {
  /** Delivers to every subscriber (in this process synchronously, before it returns). */
  publish(message: UserInvalidation): Promise<void>;
  subscribe(listener: (message: Invalidation) => void): () => void;
  /**
   * False while messages from other replicas may be missed (the subscription is down): caches must then
   * neither serve nor keep entries, and read the store instead. Always true in one process.
   */
  readonly trusted: boolean;
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
    trusted: true,
    async close() {
      listeners.clear();
    },
  };
}

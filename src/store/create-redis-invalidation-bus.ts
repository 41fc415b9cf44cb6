/**
 * @module store/create-redis-invalidation-bus
 * The invalidation bus across replicas on Redis pub/sub: local listeners hear a message at once, other
 * replicas through the channel; a lost subscription makes the bus untrusted and resyncs every cache.
 */
import { randomUUID } from "node:crypto";
import type { Invalidation, InvalidationBus, UserInvalidation } from "./invalidation-bus.ts";
import type { RedisConnection } from "./redis/open-redis-connection.ts";

export interface RedisInvalidationBusOptions {
  readonly connection: RedisConnection;
  /** The subscription was lost (`down`: caches bypassed) or is back (`up`: caches emptied once). */
  readonly onStatus?: (status: "up" | "down") => void;
  /** A publish that failed; it is retried when the connection is back. */
  readonly onPublishFailed?: (error: unknown) => void;
}

const TOPICS = new Set(["enrollment", "user"]);
const CUTS = new Set(["user_revoked", "enrollment_changed"]);
/** Publishes waiting for the connection to come back; beyond it the oldest go (replicas resync anyway). */
const MAX_PENDING = 10_000;

/** What travels on the channel: the user id and what changed, never a key, token or secret. */
function parseWire(text: string): { origin: string; message: UserInvalidation } | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const { origin, topic, userId, cut } = value as Record<string, unknown>;
  if (typeof origin !== "string" || typeof userId !== "string") return null;
  if (typeof topic !== "string" || !TOPICS.has(topic)) return null;
  if (cut !== undefined && (typeof cut !== "string" || !CUTS.has(cut))) return null;
  const base = { topic: topic as UserInvalidation["topic"], userId };
  return { origin, message: cut === undefined ? base : { ...base, cut: cut as UserInvalidation["cut"] } };
}

export async function createRedisInvalidationBus(
  options: RedisInvalidationBusOptions,
): Promise<InvalidationBus> {
  const { connection } = options;
  const channel = connection.fixedKey("invalidations");
  const origin = randomUUID();
  const listeners = new Set<(message: Invalidation) => void>();
  let trusted = false;
  let pending: string[] = [];
  const deliver = (message: Invalidation) => {
    for (const listener of listeners) listener(message);
  };

  const flushPending = async () => {
    const waiting = pending;
    pending = [];
    for (const [index, text] of waiting.entries()) {
      try {
        await connection.publish(channel, text);
      } catch (error) {
        pending = [...waiting.slice(index), ...pending].slice(-MAX_PENDING);
        options.onPublishFailed?.(error);
        return;
      }
    }
  };
  const stopStatus = connection.onStatus((status) => {
    if (status === "up" && pending.length > 0) void flushPending();
  });

  const unsubscribe = await connection.subscribe(
    channel,
    (text) => {
      const parsed = parseWire(text);
      if (parsed === null || parsed.origin === origin) return; // ours was delivered when published
      deliver(parsed.message);
    },
    (status) => {
      trusted = status === "up";
      // Down: drop what may go stale; up: drop again, since messages may have been missed in between.
      deliver({ topic: "resync" });
      options.onStatus?.(status);
    },
  );

  return {
    async publish(message) {
      deliver(message);
      const text = JSON.stringify({ origin, ...message });
      try {
        await connection.publish(channel, text);
      } catch (error) {
        pending.push(text);
        if (pending.length > MAX_PENDING) pending.shift();
        options.onPublishFailed?.(error);
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get trusted() {
      return trusted;
    },
    async close() {
      stopStatus();
      listeners.clear();
      await unsubscribe();
    },
  };
}

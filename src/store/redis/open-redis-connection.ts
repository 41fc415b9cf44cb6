/**
 * @module store/redis/open-redis-connection
 * The one owner of the Redis client: connects (offline queue off, reconnects on its own), names every key
 * `<prefix><kind>:<hash>`, runs Lua scripts by SHA, publishes and subscribes, and reports its status.
 * ioredis is loaded on the first connection, not by a process whose config names no Redis.
 */
import { createHash } from "node:crypto";
import type { Redis, RedisOptions } from "ioredis";

export interface RedisConnectionOptions {
  /** `redis://` or `rediss://`; may carry a password (never logged). */
  readonly url: string;
  readonly keyPrefix: string;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
}

/** `up` once a command connection is ready; `down` when it is lost (it reconnects on its own). */
export type RedisStatus = "up" | "down";

/** A Lua script, loaded by SHA on first use (and again after a Redis restart forgot it). */
export interface RedisScript {
  readonly source: string;
  readonly sha: string;
}

export function defineRedisScript(source: string): RedisScript {
  return { source, sha: createHash("sha1").update(source, "utf8").digest("hex") };
}

export type RedisReply = string | number | null | RedisReply[];

export interface RedisConnection {
  /** `<prefix><kind>:<SHA-256 base64url of part>`: no user-derived text is ever a Redis key. */
  key(kind: string, part: string): string;
  /** SHA-256 base64url of `part`: what a user-derived value is stored as inside a key's value. */
  hash(part: string): string;
  /** `<prefix><kind>` for the few fixed keys and channels. */
  fixedKey(kind: string): string;
  readonly status: RedisStatus;
  /** Status changes of the command connection; returns an unsubscribe. */
  onStatus(listener: (status: RedisStatus) => void): () => void;
  /** Loads scripts now and after every reconnect (a restarted Redis forgot them), keeping calls in order. */
  preload(scripts: readonly RedisScript[]): void;
  run(script: RedisScript, keys: readonly string[], args: readonly (string | number)[]): Promise<RedisReply>;
  setWithExpiry(key: string, value: string, ttlMs: number): Promise<void>;
  /** GETDEL: the value, removed in the same step (single use across every client). */
  take(key: string): Promise<string | null>;
  publish(channel: string, message: string): Promise<void>;
  /**
   * The keys of one kind (`<prefix><kind>:…`), a page of SCAN at a time (about `count` keys per page):
   * incremental, never one blocking command over the keyspace. A key may come twice; one written meanwhile
   * may be missed.
   */
  scanKind(kind: string, count: number): AsyncIterable<string[]>;
  /**
   * Subscribes on a connection of its own; `onStatus` tells when that connection is lost (messages may be
   * missed from then) and when it is subscribed again.
   */
  subscribe(
    channel: string,
    onMessage: (message: string) => void,
    onStatus: (status: RedisStatus) => void,
  ): Promise<() => Promise<void>>;
  ping(): Promise<void>;
  /** `INFO <section>`'s text (it answers where `CONFIG GET` is disabled, as on managed Redis). */
  info(section: string): Promise<string>;
  close(): Promise<void>;
}

/** Reconnect backoff: quick at first, never above 2 s, forever. */
const retryStrategy = (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 6), 2_000);

function clientOptions(options: RedisConnectionOptions): RedisOptions {
  return {
    connectTimeout: options.connectTimeoutMs,
    commandTimeout: options.commandTimeoutMs,
    // Fail fast while Redis is away: each feature falls back (or refuses) at once instead of queueing.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy,
    lazyConnect: true,
  };
}

/** A SCAN pattern matching `text` literally (a prefix may hold glob characters). */
const globLiteral = (text: string) => text.replace(/[*?[\]\\]/g, "\\$&");

export function hashPart(part: string): string {
  return createHash("sha256").update(part, "utf8").digest("base64url");
}

export async function openRedisConnection(options: RedisConnectionOptions): Promise<RedisConnection> {
  const { Redis } = await import("ioredis");
  const client = new Redis(options.url, clientOptions(options));
  // Errors surface through status and failed commands; the client's own error events are expected noise.
  client.on("error", () => {});
  const listeners = new Set<(status: RedisStatus) => void>();
  let status: RedisStatus = "down";
  const setStatus = (next: RedisStatus) => {
    if (next === status) return;
    status = next;
    for (const listener of listeners) listener(next);
  };
  client.on("ready", () => setStatus("up"));
  client.on("close", () => setStatus("down"));
  // The first connection may fail: the gateway still starts and the client keeps trying.
  await client.connect().catch(() => {});
  const subscribers = new Set<Redis>();
  const scripts = new Map<string, RedisScript>();
  const load = (list: Iterable<RedisScript>) => {
    if (status !== "up") return;
    for (const script of list) client.script("LOAD", script.source).catch(() => {});
  };
  listeners.add((next) => {
    if (next === "up") load(scripts.values());
  });

  return {
    key: (kind, part) => `${options.keyPrefix}${kind}:${hashPart(part)}`,
    hash: hashPart,
    fixedKey: (kind) => `${options.keyPrefix}${kind}`,
    get status() {
      return status;
    },
    onStatus(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    preload(list) {
      for (const script of list) scripts.set(script.sha, script);
      load(list);
    },
    async run(script, keys, args) {
      try {
        return (await client.evalsha(script.sha, keys.length, ...keys, ...args)) as RedisReply;
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
        return (await client.eval(script.source, keys.length, ...keys, ...args)) as RedisReply;
      }
    },
    async setWithExpiry(key, value, ttlMs) {
      await client.set(key, value, "PX", Math.max(1, Math.ceil(ttlMs)));
    },
    take: (key) => client.getdel(key),
    async publish(channel, message) {
      await client.publish(channel, message);
    },
    async *scanKind(kind, count) {
      const match = `${globLiteral(options.keyPrefix)}${globLiteral(kind)}:*`;
      let cursor = "0";
      do {
        const [next, keys] = await client.scan(cursor, "MATCH", match, "COUNT", count);
        cursor = next;
        if (keys.length > 0) yield keys;
      } while (cursor !== "0");
    },
    async subscribe(channel, onMessage, onStatus) {
      // Resubscribed by hand on every `ready`: "up" is told only once the subscription is back.
      const subscriber = client.duplicate({ ...clientOptions(options), autoResubscribe: false });
      subscribers.add(subscriber);
      subscriber.on("error", () => {});
      let subscribed = false;
      subscriber.on("message", (from: string, message: string) => {
        if (from === channel) onMessage(message);
      });
      const resubscribe = () =>
        subscriber.subscribe(channel).then(
          () => {
            subscribed = true;
            onStatus("up");
          },
          () => subscriber.disconnect(true), // try again from a fresh connection
        );
      let first: Promise<void> | undefined;
      subscriber.on("ready", () => {
        const attempt = resubscribe();
        first ??= attempt;
      });
      subscriber.on("close", () => {
        if (!subscribed) return;
        subscribed = false;
        onStatus("down");
      });
      await subscriber.connect().catch(() => {});
      await first; // subscribed (or Redis is away: it will be when it is back)
      return async () => {
        subscribers.delete(subscriber);
        subscriber.disconnect();
      };
    },
    async ping() {
      await client.ping();
    },
    info: (section) => client.info(section),
    async close() {
      for (const subscriber of subscribers) subscriber.disconnect();
      subscribers.clear();
      listeners.clear();
      client.disconnect();
    },
  };
}

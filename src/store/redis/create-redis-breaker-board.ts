/**
 * @module store/redis/create-redis-breaker-board
 * The breakers' shared board on Redis: one script call per change (`breaker-scripts.ts`), keys
 * `<prefix>breaker:<upstream>` (an operator connection's name and whose key, never user data), and
 * notices on `<prefix>breakers` that reach every other replica within milliseconds.
 */
import { randomBytes } from "node:crypto";
import type { BoardNotice, BoardProbe, BoardState, BreakerBoard } from "../breaker-board.ts";
import {
  BREAKER_SCRIPTS,
  CLAIM_PROBE,
  CLEAR_FAILURES,
  COUNT_FAILURE,
  READ_STATES,
  RESET,
} from "./breaker-scripts.ts";
import type { RedisConnection, RedisReply } from "./open-redis-connection.ts";

export interface RedisBreakerBoardOptions {
  readonly connection: RedisConnection;
  /** The caller's clock (tests move it); Redis's own by default, which every replica reads alike. */
  readonly now?: () => number;
}

/** How long a count or an ended cool-down is kept without news: at least a minute, twice `openMs`. */
const keepMs = (openMs: number) => Math.max(60_000, 2 * openMs);
const EVENTS = new Set(["open", "closed", "failing"]);

function parseNotice(text: string, origin: string): BoardNotice | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const fields = value as Record<string, unknown>;
  const { upstream, event, remainingMs } = fields;
  if (fields.origin === origin || typeof upstream !== "string" || upstream.length > 200) return null;
  if (typeof event !== "string" || !EVENTS.has(event)) return null;
  if (event === "open") {
    return typeof remainingMs === "number" && Number.isFinite(remainingMs)
      ? { upstream, event, remainingMs }
      : null;
  }
  return { upstream, event: event as "closed" | "failing" };
}

const toState = (upstream: string, failures: RedisReply, remaining: RedisReply): BoardState => ({
  upstream,
  failures: Number(failures),
  remainingMs: Number(remaining) < 0 ? null : Number(remaining),
});

export async function createRedisBreakerBoard(options: RedisBreakerBoardOptions): Promise<BreakerBoard> {
  const { connection } = options;
  connection.preload(BREAKER_SCRIPTS);
  const at = () => (options.now === undefined ? "" : options.now());
  const origin = randomBytes(9).toString("base64url");
  let lease = 0;
  const channel = connection.fixedKey("breakers");
  const stateKey = (upstream: string) => connection.fixedKey(`breaker:${upstream}`);
  const probesKey = (upstream: string) => connection.fixedKey(`breaker-probes:${upstream}`);
  const noticeListeners = new Set<(notice: BoardNotice) => void>();
  const statusListeners = new Set<(status: "up" | "down") => void>();

  const unsubscribe = await connection.subscribe(
    channel,
    (text) => {
      const notice = parseNotice(text, origin);
      if (notice !== null) for (const listener of noticeListeners) listener(notice);
    },
    (status) => {
      for (const listener of statusListeners) listener(status);
    },
  );

  return {
    get up() {
      return connection.status === "up";
    },
    async countFailure(upstream, rule) {
      const reply = (await connection.run(
        COUNT_FAILURE,
        [stateKey(upstream), probesKey(upstream)],
        [
          at(),
          rule.threshold,
          rule.openMs,
          rule.reopen ? "1" : "0",
          keepMs(rule.openMs),
          channel,
          origin,
          upstream,
        ],
      )) as RedisReply[];
      if (reply[0] === "counted") return { kind: "counted", failures: Number(reply[1]) };
      return { kind: "open", remainingMs: Number(reply[1]), opened: reply[0] === "opened" };
    },
    async clearFailures(upstream) {
      const reply = (await connection.run(CLEAR_FAILURES, [stateKey(upstream)], [at()])) as RedisReply[];
      return toState(upstream, reply[0]!, reply[1]!);
    },
    async claimProbe(upstream, max, leaseMs): Promise<BoardProbe> {
      const id = `${origin}.${++lease}`;
      const reply = (await connection.run(
        CLAIM_PROBE,
        [stateKey(upstream), probesKey(upstream)],
        [at(), max, leaseMs, id],
      )) as RedisReply[];
      if (reply[0] === "open") return { kind: "open", remainingMs: Number(reply[1]) };
      return { kind: reply[0] as "probe" | "busy" | "closed" };
    },
    async reset(upstream) {
      await connection.run(
        RESET,
        [stateKey(upstream), probesKey(upstream)],
        [at(), channel, origin, upstream],
      );
    },
    async read(upstreams) {
      if (upstreams.length === 0) return [];
      const reply = (await connection.run(READ_STATES, upstreams.map(stateKey), [at()])) as RedisReply[];
      return upstreams.map((upstream, index) => toState(upstream, reply[2 * index]!, reply[2 * index + 1]!));
    },
    onNotice(listener) {
      noticeListeners.add(listener);
      return () => noticeListeners.delete(listener);
    },
    onSubscription(listener) {
      statusListeners.add(listener);
      return () => statusListeners.delete(listener);
    },
    async close() {
      noticeListeners.clear();
      statusListeners.clear();
      await unsubscribe();
    },
  };
}

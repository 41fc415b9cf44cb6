/**
 * @module test/resilience/redis-breakers
 * Two replicas' breakers sharing one real Redis (a key prefix of their own, one clock): a threshold reached
 * across both opens both, a reset through one closes both, half-open probes go one at a time across
 * replicas, successes clear the shared count, and with Redis away or silent each behaves locally, never
 * throwing. Board calls are fire and forget: the tests wait on their promises, never on time.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createSharedBreakers } from "../../src/resilience/create-shared-breakers.ts";
import type { ResettableBreakers } from "../../src/resilience/resettable-breakers.ts";
import type { BoardNotice, BreakerBoard } from "../../src/store/breaker-board.ts";
import { createRedisBreakerBoard } from "../../src/store/redis/create-redis-breaker-board.ts";
import { openRedisConnection, type RedisConnection } from "../../src/store/redis/open-redis-connection.ts";
import { startTcpProxy } from "../support/tcp-proxy.ts";
import { openTestRedis, type TestRedis, waitForStatus } from "../support/test-redis.ts";

const UPSTREAM = "azure-eu|operator";
let redis: TestRedis;
const closers: (() => Promise<void>)[] = [];
let clock = 1_800_000_000_000;
const now = () => clock;

interface Replica {
  readonly breakers: ResettableBreakers;
  readonly connection: RedisConnection;
  /** Resolves once every board call made so far has settled. */
  settled(): Promise<void>;
  /** Resolves on the replica's next transition of `upstream` into `to`. */
  next(to: string, upstream?: string): Promise<void>;
  notice(event: BoardNotice["event"]): Promise<void>;
  readonly errors: unknown[];
  /** Board calls made so far. */
  calls(): number;
  stateOf(upstream?: string): string;
}

/** The board, with every call's promise kept so a test can wait for the fire-and-forget calls to land. */
function tracked(board: BreakerBoard, pending: Promise<unknown>[], onCall: () => void): BreakerBoard {
  const keep = <T>(promise: Promise<T>) => {
    pending.push(promise.catch(() => undefined));
    onCall();
    return promise;
  };
  return {
    get up() {
      return board.up;
    },
    countFailure: (upstream, rule) => keep(board.countFailure(upstream, rule)),
    clearFailures: (upstream) => keep(board.clearFailures(upstream)),
    claimProbe: (upstream, max, leaseMs) => keep(board.claimProbe(upstream, max, leaseMs)),
    reset: (upstream) => keep(board.reset(upstream)),
    read: (upstreams) => keep(board.read(upstreams)),
    onNotice: (listener) => board.onNotice(listener),
    onSubscription: (listener) => board.onSubscription(listener),
    close: () => board.close(),
  };
}

async function replica(
  settings: { failureThreshold?: number; halfOpenProbes?: number } = {},
  url = redis.url,
  commandTimeoutMs = 1000,
): Promise<Replica> {
  const connection = await openRedisConnection({
    url,
    keyPrefix: redis.prefix,
    connectTimeoutMs: 500,
    commandTimeoutMs,
  });
  const pending: Promise<unknown>[] = [];
  let calls = 0;
  const board = await createRedisBreakerBoard({ connection, now });
  const waiters = new Set<(upstream: string, to: string) => void>();
  const errors: unknown[] = [];
  const breakers = createSharedBreakers({
    board: tracked(board, pending, () => calls++),
    failureThreshold: settings.failureThreshold ?? 4,
    openMs: 10_000,
    halfOpenProbes: settings.halfOpenProbes ?? 1,
    now,
    onTransition: (upstream, to) => {
      for (const waiter of waiters) waiter(upstream, to);
    },
    onBoardError: (error) => errors.push(error),
  });
  closers.push(async () => {
    await breakers.close();
    await connection.close();
  });
  return {
    breakers,
    connection,
    errors,
    calls: () => calls,
    async settled() {
      while (pending.length > 0) await Promise.all(pending.splice(0));
    },
    next: (to, upstream = UPSTREAM) =>
      new Promise((resolve) => {
        const waiter = (from: string, state: string) => {
          if (from !== upstream || state !== to) return;
          waiters.delete(waiter);
          resolve();
        };
        waiters.add(waiter);
      }),
    notice: (event) =>
      new Promise((resolve) => {
        const stop = board.onNotice((notice) => {
          if (notice.event !== event) return;
          stop();
          resolve();
        });
      }),
    stateOf: (upstream = UPSTREAM) =>
      breakers.snapshot().find((each) => each.upstream === upstream)?.state ?? "closed",
  };
}

before(async () => {
  redis = await openTestRedis();
});
after(async () => {
  for (const close of closers) await close();
  await redis.close();
});

test("a threshold reached across two replicas opens the breaker on both; a reset through one closes both", async () => {
  const [a, b] = [await replica(), await replica()];
  for (const side of [a, b, a]) {
    side.breakers.failed(UPSTREAM);
    await side.settled();
  }
  assert.equal(a.stateOf(), "closed");
  assert.equal(b.stateOf(), "closed");
  const aOpens = a.next("open");
  b.breakers.failed(UPSTREAM); // the fourth, counted in Redis
  await Promise.all([aOpens, b.next("open")]);
  assert.equal(a.breakers.allow(UPSTREAM), false);
  assert.equal(b.breakers.allow(UPSTREAM), false);
  // Redis holds the upstream's name and numbers, nothing else.
  assert.deepEqual(await redis.keys(), [`${redis.prefix}breaker:${UPSTREAM}`]);

  const bCloses = b.next("closed");
  assert.deepEqual(await a.breakers.reset(UPSTREAM), { upstream: UPSTREAM, shared: true });
  await bCloses;
  assert.equal(a.breakers.allow(UPSTREAM), true);
  assert.equal(b.breakers.allow(UPSTREAM), true);
  assert.deepEqual(await redis.keys(), []);
  assert.deepEqual([...a.errors, ...b.errors], []);
});

test("a success on any replica clears the shared count, without a Redis call per success", async () => {
  const upstream = "openai|operator";
  const [a, b] = [await replica(), await replica()];
  const bHears = b.notice("failing");
  a.breakers.failed(upstream);
  await Promise.all([bHears, a.settled()]);
  a.breakers.failed(upstream);
  a.breakers.failed(upstream);
  await a.settled();
  b.breakers.succeeded(upstream); // B learnt of the streak: it clears it, once
  await b.settled();
  const before = b.calls();
  b.breakers.succeeded(upstream);
  b.breakers.succeeded(upstream);
  assert.equal(b.calls(), before, "later successes cost no Redis call");
  a.breakers.failed(upstream);
  await a.settled();
  assert.equal(a.stateOf(upstream), "closed", "three failures, a success, one failure: not four in a row");
  const failures = await redis.client.hget(`${redis.prefix}breaker:${upstream}`, "failures");
  assert.equal(failures, "1");
});

test("after the cool-down each replica sends at most one probe at a time; a success closes both", async () => {
  const upstream = "anthropic|operator";
  const [a, b] = [await replica({ failureThreshold: 1 }), await replica({ failureThreshold: 1 })];
  const bOpens = b.next("open", upstream);
  a.breakers.failed(upstream);
  await Promise.all([bOpens, a.settled()]);
  clock += 10_000;
  // The first ask after the cool-down goes as the probe (the claim on Redis runs off the request path); a
  // replica beaten to the claim sends one extra probe, never more: the next asks wait on both.
  assert.equal(a.breakers.allow(upstream), true, "the first request after the cool-down is the probe");
  assert.equal(b.breakers.allow(upstream), true, "one extra probe from the replica beaten to the claim");
  await Promise.all([a.settled(), b.settled()]);
  assert.equal(a.breakers.allow(upstream), false, "one probe at a time on each replica");
  assert.equal(b.breakers.allow(upstream), false);
  const [prober, other] = [a, b];

  // A failed probe re-opens it everywhere; the next probe, after another cool-down, closes it everywhere.
  const reopened = other.notice("open");
  prober.breakers.failed(upstream);
  await Promise.all([reopened, prober.settled()]);
  assert.equal(prober.stateOf(upstream), "open");
  clock += 10_000;
  assert.equal(prober.breakers.allow(upstream), true, "again the first request after the cool-down probes");
  await prober.settled();
  assert.equal(prober.stateOf(upstream), "half_open", "the board granted the claim: still probing");
  const otherCloses = other.next("closed", upstream);
  prober.breakers.succeeded(upstream);
  await otherCloses;
  assert.equal(other.breakers.allow(upstream), true);
  assert.equal(prober.breakers.allow(upstream), true);
});

test("the first request after the cool-down is let through as the probe, not refused", async () => {
  const upstream = "mistral|operator";
  const solo = await replica({ failureThreshold: 1 });
  solo.breakers.failed(upstream);
  await solo.settled();
  assert.equal(solo.stateOf(upstream), "open");
  assert.equal(solo.breakers.allow(upstream), false, "refused during the cool-down");
  clock += 10_000;
  assert.equal(solo.breakers.allow(upstream), true, "the first request after it goes");
  await solo.settled();
  assert.equal(solo.breakers.allow(upstream), false, "while it probes, the next waits");
  const closes = solo.next("closed", upstream);
  solo.breakers.succeeded(upstream);
  await closes;
  assert.equal(solo.breakers.allow(upstream), true);
});

test("with Redis unreachable the breakers behave locally and nothing throws", async () => {
  const upstream = "gemini|operator";
  const proxy = await startTcpProxy({ host: "127.0.0.1", port: Number(new URL(redis.url).port) });
  proxy.refuse();
  try {
    const lonely = await replica({ failureThreshold: 2 }, `redis://127.0.0.1:${proxy.port}`);
    assert.equal(lonely.connection.status, "down");
    lonely.breakers.failed(upstream);
    lonely.breakers.failed(upstream);
    assert.equal(lonely.stateOf(upstream), "open");
    assert.equal(lonely.breakers.allow(upstream), false);
    clock += 10_000;
    assert.equal(lonely.breakers.allow(upstream), true, "a local probe");
    lonely.breakers.succeeded(upstream);
    assert.equal(lonely.stateOf(upstream), "closed");
    assert.deepEqual(await lonely.breakers.reset(upstream), { upstream, shared: false });
  } finally {
    await proxy.close();
  }
});

test("a board call that times out is reported and counted locally instead", async () => {
  const upstream = "openrouter|operator";
  const proxy = await startTcpProxy({ host: "127.0.0.1", port: Number(new URL(redis.url).port) });
  try {
    const muted = await replica({ failureThreshold: 2 }, `redis://127.0.0.1:${proxy.port}`, 50);
    await waitForStatus(muted.connection, "up");
    proxy.mute(true); // Redis gets the calls, their answers are lost
    muted.breakers.failed(upstream);
    muted.breakers.failed(upstream);
    await muted.settled();
    assert.equal(muted.errors.length, 2, "each failed call reported once");
    assert.equal(muted.stateOf(upstream), "open", "counted locally");
    proxy.cut();
    proxy.mute(false);
  } finally {
    await proxy.close();
  }
});

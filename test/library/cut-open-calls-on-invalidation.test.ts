/**
 * @module test/library/cut-open-calls-on-invalidation
 * After a resync (the bus may have missed messages), calls open for a user revoked meanwhile are cut;
 * other users' calls go on, and so do a JWT user's (no row in `users`), also after a real Redis blip.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  cutOpenCallsOnInvalidation,
  recheckOpenCalls,
} from "../../src/library/cut-open-calls-on-invalidation.ts";
import { createOpenCalls } from "../../src/pipeline/index.ts";
import { createRedisInvalidationBus } from "../../src/store/create-redis-invalidation-bus.ts";
import { createSqliteStore } from "../../src/store/index.ts";
import type { Invalidation, InvalidationBus } from "../../src/store/invalidation-bus.ts";
import { openRedisConnection } from "../../src/store/redis/open-redis-connection.ts";
import { createLogger } from "../../src/telemetry/index.ts";
import { startTcpProxy } from "../support/tcp-proxy.ts";
import { openQuotaFence, openTestRedis } from "../support/test-redis.ts";

test("a resync rechecks the users with open calls: the one revoked meanwhile is cut, the other is not", async () => {
  const store = createSqliteStore({ path: ":memory:" });
  for (const id of ["kept", "revoked"])
    await store.users.create({ id, plan: null, createdAt: 1, revokedAt: null });
  const openCalls = createOpenCalls();
  const kept = openCalls.open({ userId: "kept", via: "token" }, new AbortController().signal);
  const revoked = openCalls.open({ userId: "revoked", via: "token" }, new AbortController().signal);
  // The revocation happened on another replica while this one's subscription was down: no message came.
  await store.users.revoke("revoked", 2);
  assert.equal(await recheckOpenCalls(openCalls, store), 1);
  assert.equal(revoked.signal.aborted, true);
  assert.equal(kept.signal.aborted, false);
  kept.close();
  revoked.close();
  await store.close();
});

test("the subscription cuts on a message with `cut`, and rechecks on a resync", async () => {
  const store = createSqliteStore({ path: ":memory:" });
  await store.users.create({ id: "u", plan: null, createdAt: 1, revokedAt: null });
  const listeners = new Set<(message: Invalidation) => void>();
  const bus: InvalidationBus = {
    async publish(message) {
      for (const listener of listeners) listener(message);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    trusted: true,
    close: async () => {},
  };
  const openCalls = createOpenCalls();
  cutOpenCallsOnInvalidation(bus, openCalls, store, createLogger({ level: "silent" }));
  const first = openCalls.open({ userId: "u", via: "token" }, new AbortController().signal);
  await bus.publish({ topic: "user", userId: "u" });
  assert.equal(first.signal.aborted, false, "no cut without `cut`");
  await bus.publish({ topic: "user", userId: "u", cut: "user_revoked" });
  assert.equal(first.signal.aborted, true);
  first.close();
  const second = openCalls.open({ userId: "u", via: "token" }, new AbortController().signal);
  await store.users.revoke("u", 3);
  const aborted = new Promise((resolve) => second.signal.addEventListener("abort", resolve));
  for (const listener of listeners) listener({ topic: "resync" });
  await aborted;
  second.close();
  await store.close();
});

test("a JWT user without a row is not cut by a recheck; a stored user without one is, and a JWT user's revoked row is", async () => {
  const store = createSqliteStore({ path: ":memory:" });
  await store.users.create({ id: "jwt-revoked", plan: null, createdAt: 1, revokedAt: null });
  await store.users.revoke("jwt-revoked", 2);
  const openCalls = createOpenCalls();
  const jwt = openCalls.open({ userId: "alice", via: "jwt" }, new AbortController().signal);
  const named = openCalls.open({ userId: "named-by-the-app" }, new AbortController().signal);
  const jwtRevoked = openCalls.open({ userId: "jwt-revoked", via: "jwt" }, new AbortController().signal);
  const gone = openCalls.open({ userId: "no-row", via: "token" }, new AbortController().signal);
  assert.equal(await recheckOpenCalls(openCalls, store), 2);
  assert.equal(jwt.signal.aborted, false, "a JWT user is no row in `users`");
  assert.equal(named.signal.aborted, false, "nor is a user the embedding app named itself");
  assert.equal(jwtRevoked.signal.aborted, true, "a revoked row cuts, as the missed message would have");
  assert.equal(gone.signal.aborted, true, "a token user's missing row means the user is gone");
  for (const call of [jwt, named, jwtRevoked, gone]) call.close();
  await store.close();
});

test("a Redis blip resyncs the real bus: a JWT user's open call goes on, a token user revoked meanwhile is cut", async () => {
  const redis = await openTestRedis();
  await openQuotaFence(redis.client, redis.prefix);
  const proxy = await startTcpProxy({ host: "127.0.0.1", port: Number(new URL(redis.url).port) });
  const connection = await openRedisConnection({
    url: `redis://127.0.0.1:${proxy.port}`,
    keyPrefix: redis.prefix,
    connectTimeoutMs: 1000,
    commandTimeoutMs: 1000,
  });
  const statuses: string[] = [];
  let backUp: () => void = () => {};
  const up = new Promise<void>((resolve) => {
    backUp = resolve;
  });
  const bus = await createRedisInvalidationBus({
    connection,
    onStatus: (status) => {
      statuses.push(status);
      if (status === "up" && statuses.includes("down")) backUp();
    },
  });
  const store = createSqliteStore({ path: ":memory:" });
  try {
    assert.equal(bus.trusted, true);
    for (const id of ["kept", "revoked"])
      await store.users.create({ id, plan: null, createdAt: 1, revokedAt: null });
    const openCalls = createOpenCalls();
    cutOpenCallsOnInvalidation(bus, openCalls, store, createLogger({ level: "silent" }));
    const jwt = openCalls.open({ userId: "alice", via: "jwt" }, new AbortController().signal);
    const kept = openCalls.open({ userId: "kept", via: "token" }, new AbortController().signal);
    // Opened last, so the recheck that cuts it has read every other user first.
    const revoked = openCalls.open({ userId: "revoked", via: "token" }, new AbortController().signal);
    // Revoked on another replica while this one's subscription is down: its message never arrives here.
    await store.users.revoke("revoked", 2);
    const aborted = new Promise((resolve) => revoked.signal.addEventListener("abort", resolve));
    proxy.cut(); // the connections drop; Redis itself stays up and they come back at once
    await aborted;
    await up;
    await new Promise((resolve) => setTimeout(resolve, 50)); // the resync on `up` rechecks too
    assert.deepEqual(statuses, ["up", "down", "up"]);
    assert.equal(bus.trusted, true);
    assert.equal(jwt.signal.aborted, false, "the JWT user's call goes on");
    assert.equal(kept.signal.aborted, false);
    assert.equal(revoked.signal.aborted, true);
    for (const call of [jwt, kept, revoked]) call.close();
  } finally {
    await store.close();
    await bus.close();
    await connection.close();
    await proxy.close();
    await redis.close();
  }
});

/**
 * @module test/auth/redis-listen-ticket-store
 * Listen tickets in Redis: single use across gateways, the per-user cap (a user's oldest goes), and only
 * hashed names and sealed grants in Redis.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createListenTickets, TICKETS_PER_USER } from "../../src/auth/create-listen-tickets.ts";
import { createRedisListenTicketStore } from "../../src/auth/create-redis-listen-ticket-store.ts";
import { SecretKey } from "../../src/keys/secret-key.ts";
import { createRedisTicketOperations } from "../../src/store/redis/create-redis-ticket-operations.ts";
import { openRedisConnection, type RedisConnection } from "../../src/store/redis/open-redis-connection.ts";
import type { ByokContext } from "../../src/validation/byok-context.ts";
import { openTestRedis, type TestRedis } from "../support/test-redis.ts";

const KEY = "dg-user-key-ticket-store-0123456789";
let redis: TestRedis;
const connections: RedisConnection[] = [];

async function tickets() {
  const connection = await openRedisConnection({
    url: redis.url,
    keyPrefix: redis.prefix,
    connectTimeoutMs: 1000,
    commandTimeoutMs: 1000,
  });
  connections.push(connection);
  const store = createRedisListenTicketStore(createRedisTicketOperations(connection));
  return createListenTickets({ store, ttlMs: 30_000 });
}

const grant = (userId: string) => {
  const byok: ByokContext = {
    userId,
    status: "active",
    inactiveReason: null,
    keys: { deepgram: new SecretKey(KEY) },
    custom: null,
    dropped: [],
    statusHeader: "active; accepted=deepgram",
  };
  return { principal: { userId, plan: null, via: "token" as const }, model: "transcription", byok };
};

before(async () => {
  redis = await openTestRedis();
});
after(async () => {
  for (const connection of connections) await connection.close();
  await redis.close();
});

test("issued on one gateway, redeemed once on another, refused on a third; nothing raw in Redis", async () => {
  const [a, b, c] = [await tickets(), await tickets(), await tickets()];
  const issued = await a.issue(grant("ann@example.com"));
  for (const key of await redis.keys()) {
    assert.doesNotMatch(key, /ann@example\.com/);
    const value = (await redis.client.type(key)) === "string" ? await redis.client.get(key) : "";
    assert.ok(!value?.includes(KEY) && !value?.includes(issued.ticket.slice(3)), "sealed, never raw");
  }
  const redeemed = await b.redeem(issued.ticket);
  assert.equal(redeemed?.byok.keys.deepgram?.reveal(), KEY);
  assert.equal(await c.redeem(issued.ticket), null);
});

test("one user holds at most TICKETS_PER_USER tickets in Redis: the oldest goes; others' are untouched", async () => {
  const gateway = await tickets();
  const bob = await gateway.issue(grant("bob"));
  const ann: string[] = [];
  for (let index = 0; index < TICKETS_PER_USER + 2; index++)
    ann.push((await gateway.issue(grant("ann"))).ticket);
  assert.equal(await gateway.redeem(ann[0]!), null);
  assert.equal(await gateway.redeem(ann[1]!), null);
  for (const kept of ann.slice(2)) assert.equal((await gateway.redeem(kept))?.principal.userId, "ann");
  assert.equal((await gateway.redeem(bob.ticket))?.principal.userId, "bob");
});

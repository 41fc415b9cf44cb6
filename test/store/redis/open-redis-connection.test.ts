/**
 * @module test/store/redis/open-redis-connection
 * The Redis connection on its own: keys named `<prefix><kind>:<hash>`, a Redis away at start tolerated
 * (commands fail fast, nothing queued) and the connection made on its own once Redis answers.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, test } from "node:test";
import { openRedisConnection } from "../../../src/store/redis/open-redis-connection.ts";
import { startTcpProxy, type TcpProxy } from "../../support/tcp-proxy.ts";
import { openTestRedis, type TestRedis, waitForStatus } from "../../support/test-redis.ts";

let redis: TestRedis;
let proxy: TcpProxy;

before(async () => {
  redis = await openTestRedis();
  proxy = await startTcpProxy({ host: "127.0.0.1", port: Number(new URL(redis.url).port) });
});
after(async () => {
  await proxy.close();
  await redis.close();
});

test("every key is the prefix, a kind and the SHA-256 (base64url) of the user-derived part", async () => {
  const connection = await openRedisConnection({
    url: redis.url,
    keyPrefix: redis.prefix,
    connectTimeoutMs: 1000,
    commandTimeoutMs: 1000,
  });
  try {
    const hash = createHash("sha256").update("user@example.com", "utf8").digest("base64url");
    assert.equal(connection.key("rate", "user@example.com"), `${redis.prefix}rate:${hash}`);
    assert.equal(connection.hash("user@example.com"), hash);
    assert.equal(connection.fixedKey("invalidations"), `${redis.prefix}invalidations`);
    await connection.setWithExpiry(connection.key("ticket", "t"), "sealed", 10_000);
    assert.equal(await connection.take(connection.key("ticket", "t")), "sealed");
    assert.equal(await connection.take(connection.key("ticket", "t")), null, "taken once");
  } finally {
    await connection.close();
  }
});

test("Redis away at start: the gateway's connection opens anyway, fails fast, and connects once Redis answers", async () => {
  proxy.refuse();
  const connection = await openRedisConnection({
    url: `redis://127.0.0.1:${proxy.port}`,
    keyPrefix: redis.prefix,
    connectTimeoutMs: 500,
    commandTimeoutMs: 500,
  });
  try {
    assert.equal(connection.status, "down");
    const started = performance.now();
    await assert.rejects(connection.ping());
    assert.ok(performance.now() - started < 400, "no offline queue: the command failed at once");
    proxy.allow();
    await waitForStatus(connection, "up");
    await connection.ping();
  } finally {
    await connection.close();
  }
});

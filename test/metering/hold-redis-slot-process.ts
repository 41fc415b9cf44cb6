/**
 * @module test/metering/hold-redis-slot-process
 * A child process for the slot-lease test: takes one concurrency slot on the Redis limiter (prefix and
 * lease from argv), reports it, and holds it (renewing) until it is killed.
 */
import { createLocalRateLimiter } from "../../src/metering/rate-limits/create-local-rate-limiter.ts";
import { createRedisRateLimiter } from "../../src/metering/rate-limits/create-redis-rate-limiter.ts";
import { createRedisRateOperations } from "../../src/store/redis/create-redis-rate-operations.ts";
import { openRedisConnection } from "../../src/store/redis/open-redis-connection.ts";

const [url, keyPrefix, lease] = process.argv.slice(2);
if (url === undefined || keyPrefix === undefined || lease === undefined || process.send === undefined)
  throw new Error("run me with fork(script, [url, prefix, leaseMs])");
const connection = await openRedisConnection({
  url,
  keyPrefix,
  connectTimeoutMs: 1000,
  commandTimeoutMs: 1000,
});
const limiter = createRedisRateLimiter({
  operations: createRedisRateOperations(connection),
  fallback: createLocalRateLimiter(),
  isUp: () => connection.status === "up",
  slotLeaseMs: Number(lease),
});
const slot = await limiter.acquire("streams:killed-user", 1);
process.send(slot.ok ? "held" : "refused");
setInterval(() => {}, 60_000); // hold until killed

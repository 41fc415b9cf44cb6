/**
 * @module test/metering/bounded-caches-memory
 * The rate limiter's and the ledger's key caches (100,000 keys by default) take memory as keys arrive, not
 * up front: a process holds dozens of such caches before its first request.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createHitLedger } from "../../src/metering/rate-limits/create-hit-ledger.ts";
import { createLocalRateLimiter } from "../../src/metering/rate-limits/create-local-rate-limiter.ts";

const MiB = 1024 * 1024;

test("twenty empty caches of 100,000 keys hold well under a MiB each (slots are not allocated up front)", async () => {
  const before = process.memoryUsage();
  const held = [];
  for (let index = 0; index < 10; index++) {
    held.push(createLocalRateLimiter({ maxKeys: 100_000 }));
    held.push(createHitLedger({ holders: () => 1, maxKeys: 100_000 }));
  }
  const after = process.memoryUsage();
  // Allocated up front, each would take about 2.4 MiB (two arrays of 100,000 references, two of indexes).
  const grown = after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers);
  assert.ok(grown < 10 * MiB, `twenty empty caches took ${(grown / MiB).toFixed(1)} MiB`);
  // They still work: a key is counted and remembered.
  const limiter = held[0] as ReturnType<typeof createLocalRateLimiter>;
  assert.equal((await limiter.hit("a", 1, 60_000)).ok, true);
  assert.equal((await limiter.hit("a", 1, 60_000)).ok, false);
});

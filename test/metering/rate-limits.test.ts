/**
 * @module test/metering/rate-limits
 * The rate-limiter contract (sliding log, Retry-After, exactness under concurrency, slots) run against the
 * in-process implementation (rate-limiter-conformance.ts, shared with the Redis one), plus its memory bounds.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createLocalRateLimiter } from "../../src/metering/rate-limits/index.ts";
import { createClock, MINUTE, rateLimiterContract } from "./rate-limiter-conformance.ts";

rateLimiterContract("local", (clock) => createLocalRateLimiter({ now: clock.now }));

describe("local rate limiter: bounded memory", () => {
  test("beyond maxKeys the least recently used key is forgotten", async () => {
    const limiter = createLocalRateLimiter({ now: createClock().now, maxKeys: 2 });
    assert.equal((await limiter.hit("a", 1, MINUTE)).ok, true);
    assert.equal((await limiter.hit("b", 1, MINUTE)).ok, true);
    assert.equal((await limiter.hit("a", 1, MINUTE)).ok, false, "a is remembered (and now most recent)");
    assert.equal((await limiter.hit("c", 1, MINUTE)).ok, true, "c evicts b, the least recently used");
    assert.equal(limiter.size, 2);
    assert.equal((await limiter.hit("a", 1, MINUTE)).ok, false, "a survived");
    assert.equal((await limiter.hit("b", 1, MINUTE)).ok, true, "b was forgotten: a fresh window");
  });

  test("many keys never hold more than maxKeys windows", async () => {
    const limiter = createLocalRateLimiter({ now: createClock().now, maxKeys: 100 });
    for (let index = 0; index < 5_000; index++) await limiter.hit(`ip:198.51.100.${index}`, 5, MINUTE);
    assert.equal(limiter.size, 100);
  });

  test("idle windows are swept and released slots leave nothing behind", async () => {
    const clock = createClock();
    const limiter = createLocalRateLimiter({ now: clock.now });
    for (let index = 0; index < 50; index++) await limiter.hit(`user-${index}`, 5, 1_000);
    const slot = await limiter.acquire("user-0", 1);
    assert.equal(limiter.size, 51);
    if (!slot.ok) return assert.fail("slot");
    slot.release();
    assert.equal(limiter.size, 50);
    clock.advance(59_500);
    await limiter.hit("user-0", 5, 1_000);
    assert.equal(limiter.size, 50, "no sweep before the interval");
    clock.advance(500);
    await limiter.hit("fresh", 5, 1_000);
    assert.equal(limiter.size, 2, "idle windows swept; user-0 (still in its window) and fresh remain");
  });

  test("a wall clock stepped back never makes a refusal outlast one window", async () => {
    const clock = createClock();
    const limiter = createLocalRateLimiter({ now: clock.now });
    assert.equal((await limiter.hit("k", 1, MINUTE)).ok, true);
    clock.advance(-3_600_000);
    assert.deepEqual(await limiter.hit("k", 1, MINUTE), { ok: false, retryAfterSeconds: 60 });
    clock.advance(MINUTE);
    assert.equal((await limiter.hit("k", 1, MINUTE)).ok, true);
  });

  test("maxKeys is checked at construction", () => {
    assert.throws(() => createLocalRateLimiter({ maxKeys: 0 }), RangeError);
    assert.throws(() => createLocalRateLimiter({ maxKeys: 1.5 }), RangeError);
  });
});

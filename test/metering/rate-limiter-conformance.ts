/**
 * @module test/metering/rate-limiter-conformance
 * The rate-limiter contract (sliding log, Retry-After, exactness under concurrency, slots), one suite run
 * against every implementation: the in-process one and the Redis one.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { RateLimiter } from "../../src/metering/rate-limits/index.ts";

export const MINUTE = 60_000;

export interface Clock {
  now: () => number;
  advance(ms: number): void;
}

export function createClock(start = 1_000_000): Clock {
  let time = start;
  return {
    now: () => time,
    advance(ms) {
      time += ms;
    },
  };
}

export function rateLimiterContract(
  name: string,
  create: (clock: Clock) => RateLimiter | Promise<RateLimiter>,
): void {
  describe(`${name}: the rate-limiter contract`, () => {
    test("the (N+1)th hit in a window is refused with the seconds until the oldest leaves it", async () => {
      const clock = createClock();
      const limiter = await create(clock);
      assert.deepEqual(await limiter.hit("user-1", 3, MINUTE), { ok: true });
      clock.advance(10_000);
      assert.deepEqual(await limiter.hit("user-1", 3, MINUTE), { ok: true });
      clock.advance(10_000);
      assert.deepEqual(await limiter.hit("user-1", 3, MINUTE), { ok: true });
      clock.advance(5_500);
      // The first event (at 0) leaves the window at 60 s; it is 25.5 s now: 34.5 s, rounded up.
      assert.deepEqual(await limiter.hit("user-1", 3, MINUTE), { ok: false, retryAfterSeconds: 35 });
      clock.advance(34_499);
      assert.deepEqual(await limiter.hit("user-1", 3, MINUTE), { ok: false, retryAfterSeconds: 1 });
      clock.advance(1);
      assert.deepEqual(await limiter.hit("user-1", 3, MINUTE), { ok: true }, "the oldest left at 60 s");
      // Next to leave is the event at 10 s: 10 s from now.
      assert.deepEqual(await limiter.hit("user-1", 3, MINUTE), { ok: false, retryAfterSeconds: 10 });
    });

    test("the window slides and refused hits are not counted", async () => {
      const clock = createClock();
      const limiter = await create(clock);
      for (let index = 0; index < 2; index++) assert.equal((await limiter.hit("k", 2, 1_000)).ok, true);
      for (let index = 0; index < 20; index++) {
        clock.advance(40);
        assert.equal((await limiter.hit("k", 2, 1_000)).ok, false, "refused inside the window");
      }
      clock.advance(1_000 - 800);
      assert.equal((await limiter.hit("k", 2, 1_000)).ok, true, "both left: refusals left no trace");
      assert.equal((await limiter.hit("k", 2, 1_000)).ok, true);
      assert.equal((await limiter.hit("k", 2, 1_000)).ok, false);
      clock.advance(1_000);
      assert.equal((await limiter.hit("k", 2, 1_000)).ok, true, "an idle window starts afresh");
    });

    test("waiting Retry-After always suffices, and one second less never does", async () => {
      const clock = createClock();
      const limiter = await create(clock);
      let seed = 7;
      const random = (): number => {
        seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
        return seed / 2_147_483_648;
      };
      let refusals = 0;
      for (let step = 0; step < 500; step++) {
        clock.advance(Math.floor(random() * 3_000));
        const decision = await limiter.hit("walk", 5, 10_000);
        if (decision.ok) continue;
        refusals++;
        assert.ok(Number.isInteger(decision.retryAfterSeconds) && decision.retryAfterSeconds >= 1);
        assert.ok(decision.retryAfterSeconds <= 10);
        clock.advance((decision.retryAfterSeconds - 1) * 1_000);
        assert.equal((await limiter.hit("walk", 5, 10_000)).ok, false, "a second early is still refused");
        clock.advance(1_000);
        assert.equal((await limiter.hit("walk", 5, 10_000)).ok, true, "Retry-After later, it passes");
      }
      assert.ok(refusals > 20, `the walk exercised refusals (${refusals})`);
    });

    test("50 simultaneous hits against a limit of 10: exactly 10 pass, every time", async () => {
      const clock = createClock();
      const limiter = await create(clock);
      for (let round = 0; round < 8; round++) {
        const key = round % 2 === 0 ? "shared" : `round-${round}`;
        const decisions = await Promise.all(Array.from({ length: 50 }, () => limiter.hit(key, 10, MINUTE)));
        assert.equal(decisions.filter((decision) => decision.ok).length, 10, `round ${round}`);
        for (const decision of decisions) {
          if (!decision.ok) assert.equal(decision.retryAfterSeconds, 60);
        }
        clock.advance(MINUTE);
      }
    });

    test("keys are independent", async () => {
      const limiter = await create(createClock());
      assert.equal((await limiter.hit("user-a", 1, MINUTE)).ok, true);
      assert.equal((await limiter.hit("user-a", 1, MINUTE)).ok, false);
      assert.equal((await limiter.hit("ip:192.0.2.1", 1, MINUTE)).ok, true);
      assert.equal((await limiter.hit("user-b", 1, MINUTE)).ok, true);
    });

    test("a lowered limit refuses until enough events leave the window", async () => {
      const clock = createClock();
      const limiter = await create(clock);
      for (let second = 0; second < 5; second++) {
        assert.equal((await limiter.hit("k", 10, 10_000)).ok, true);
        clock.advance(1_000);
      }
      // Events at 0..4 s, now 5 s; with a limit of 2 the event at 3 s must leave first (at 13 s).
      assert.deepEqual(await limiter.hit("k", 2, 10_000), { ok: false, retryAfterSeconds: 8 });
      clock.advance(8_000);
      assert.equal((await limiter.hit("k", 2, 10_000)).ok, true);
    });

    test("slots: max 2, the third refused, release frees one, a double release frees once", async () => {
      const limiter = await create(createClock());
      const first = await limiter.acquire("user-1", 2);
      const second = await limiter.acquire("user-1", 2);
      assert.equal(first.ok, true);
      assert.equal(second.ok, true);
      const third = await limiter.acquire("user-1", 2);
      assert.equal(third.ok, false);
      if (!third.ok) {
        assert.ok(Number.isInteger(third.retryAfterSeconds) && third.retryAfterSeconds >= 1);
      }
      assert.equal((await limiter.acquire("user-2", 2)).ok, true, "another key has its own slots");
      if (!first.ok) return assert.fail("first slot");
      first.release();
      first.release();
      const again = await limiter.acquire("user-1", 2);
      assert.equal(again.ok, true, "release freed a slot");
      assert.equal((await limiter.acquire("user-1", 2)).ok, false, "the double release freed only one");
      if (!second.ok || !again.ok) return assert.fail("held slots");
      second.release();
      again.release();
      const decisions = await Promise.all(Array.from({ length: 20 }, () => limiter.acquire("user-1", 2)));
      assert.equal(decisions.filter((decision) => decision.ok).length, 2, "simultaneous acquires are exact");
    });

    test("arguments out of range are programmer errors", async () => {
      const limiter = await create(createClock());
      await assert.rejects(limiter.hit("k", 0, MINUTE), RangeError);
      await assert.rejects(limiter.hit("k", 1.5, MINUTE), RangeError);
      await assert.rejects(limiter.hit("k", 1, 0), RangeError);
      await assert.rejects(limiter.hit("k", 1, Number.NaN), RangeError);
      await assert.rejects(limiter.acquire("k", 0), RangeError);
    });
  });
}

/**
 * @module test/resilience/weighted-key-pool.test
 * The operator key pool on a seeded random source and a hand-moved clock: weights honoured over many draws,
 * resting and refused keys skipped until their time, `exclude` honoured, events once per change, never a key.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SecretKey } from "../../src/keys/secret-key.ts";
import {
  createWeightedKeyPool,
  type KeyEvent,
  type KeyPoolTiming,
  singleKeyPool,
  type WeightedKeyPoolOptions,
} from "../../src/resilience/index.ts";

const TIMING: KeyPoolTiming = { coolDownMs: 60_000, maxCoolDownMs: 600_000, refusedMs: 900_000 };

/** mulberry32: a small seeded generator, so every run draws the same numbers. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function keysOf(...weights: number[]) {
  return weights.map((weight, slot) => ({ key: new SecretKey(`sk-pool-key-${slot}-secret`), weight }));
}

function poolWith(weights: number[], extra: Partial<WeightedKeyPoolOptions> = {}) {
  let clock = 1_000_000;
  const events: KeyEvent[] = [];
  const pool = createWeightedKeyPool({
    connection: "openai",
    keys: keysOf(...weights),
    timing: TIMING,
    now: () => clock,
    random: seeded(17),
    onKeyEvent: (event) => events.push(event),
    ...extra,
  });
  return {
    pool,
    events,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

function tally(draw: () => number | null, times: number): Map<number | null, number> {
  const counts = new Map<number | null, number>();
  for (let index = 0; index < times; index++) {
    const slot = draw();
    counts.set(slot, (counts.get(slot) ?? 0) + 1);
  }
  return counts;
}

describe("weighted operator key pool", () => {
  test("picks follow the weights over many seeded draws (within 2 points)", () => {
    const { pool } = poolWith([3, 1, 1, 5]);
    const draws = 20_000;
    const counts = tally(() => pool.pick()?.slot ?? null, draws);
    const expected = [0.3, 0.1, 0.1, 0.5];
    expected.forEach((share, slot) => {
      const seen = (counts.get(slot) ?? 0) / draws;
      assert.ok(Math.abs(seen - share) < 0.02, `slot ${slot}: ${seen} vs ${share}`);
    });
    assert.equal(counts.has(null), false);
  });

  test("the pick hands out the configured key of the slot", () => {
    const { pool } = poolWith([1, 1]);
    for (let index = 0; index < 20; index++) {
      const pick = pool.pick();
      assert.ok(pick);
      assert.equal(pick.key.reveal(), `sk-pool-key-${pick.slot}-secret`);
    }
  });

  test("exclude is honoured: only the other keys are drawn, null when all are excluded", () => {
    const { pool } = poolWith([1, 1, 1]);
    const counts = tally(() => pool.pick(new Set([1]))?.slot ?? null, 600);
    assert.equal(counts.has(1), false);
    assert.ok((counts.get(0) ?? 0) > 200 && (counts.get(2) ?? 0) > 200);
    assert.equal(pool.pick(new Set([0, 1, 2])), null);
  });

  test("a rate-limited key rests for its Retry-After, then is drawn again", () => {
    const { pool, events, advance } = poolWith([1, 1]);
    pool.rateLimited(0, 30_000);
    assert.deepEqual(events, [{ connection: "openai", slot: 0, event: "rate_limited", restMs: 30_000 }]);
    assert.deepEqual(pool.counts(), { size: 2, available: 1, resting: 1, refused: 0 });
    assert.deepEqual([...tally(() => pool.pick()?.slot ?? null, 200).keys()], [1]);
    advance(29_999);
    assert.equal(pool.pick(new Set([1])), null, "still resting a millisecond before its time");
    advance(1);
    assert.equal(pool.pick(new Set([1]))?.slot, 0, "back at its time");
    assert.deepEqual(pool.counts(), { size: 2, available: 2, resting: 0, refused: 0 });
  });

  test("without Retry-After a 429 rests the key for coolDownMs; a longer Retry-After is capped at maxCoolDownMs", () => {
    const { pool, events, advance } = poolWith([1, 1, 1]);
    pool.rateLimited(0, null);
    pool.rateLimited(1, 3_600_000);
    assert.deepEqual(
      events.map((event) => event.restMs),
      [60_000, 600_000],
    );
    advance(60_000);
    assert.equal(pool.pick(new Set([2]))?.slot, 0);
    advance(540_000);
    assert.equal(pool.pick(new Set([0, 2]))?.slot, 1);
  });

  test("a refused key is out for refusedMs, then comes back to be tried again", () => {
    const { pool, events, advance } = poolWith([1, 1]);
    pool.refused(1);
    assert.deepEqual(events, [{ connection: "openai", slot: 1, event: "refused", restMs: 900_000 }]);
    assert.deepEqual(pool.counts(), { size: 2, available: 1, resting: 0, refused: 1 });
    advance(899_999);
    assert.equal(pool.pick(new Set([0])), null);
    advance(1);
    assert.equal(pool.pick(new Set([0]))?.slot, 1);
  });

  test("the last key in never sits out: one request cannot lock every user out", () => {
    const { pool, events } = poolWith([2, 1, 1]);
    pool.rateLimited(0, null);
    pool.rateLimited(1, 5_000);
    pool.refused(2);
    pool.rateLimited(2, null);
    assert.equal(pool.pick()?.slot, 2);
    assert.deepEqual(pool.counts(), { size: 3, available: 1, resting: 2, refused: 0 });
    assert.equal(events.length, 2, "no event for the key kept in");
  });

  test("one event per change: repeated 429s on a resting key extend it silently; a refusal is still reported", () => {
    const { pool, events, advance } = poolWith([1, 1]);
    pool.rateLimited(0, 10_000);
    pool.rateLimited(0, 20_000);
    pool.rateLimited(0, 5_000);
    assert.equal(events.length, 1);
    advance(19_999);
    assert.equal(pool.pick(new Set([1])), null, "the longest rest holds");
    pool.refused(0);
    pool.refused(0);
    pool.rateLimited(0, 1);
    assert.deepEqual(
      events.map((event) => event.event),
      ["rate_limited", "refused"],
    );
    advance(899_999);
    assert.equal(pool.pick(new Set([1])), null, "a later 429 never shortens a refusal");
  });

  test("unknown slots are ignored; bad weights and empty pools are refused at construction", () => {
    const { pool, events } = poolWith([1]);
    pool.rateLimited(7, null);
    pool.refused(-1);
    assert.equal(events.length, 0);
    assert.throws(() => createWeightedKeyPool({ connection: "x", keys: [] }), RangeError);
    assert.throws(() => createWeightedKeyPool({ connection: "x", keys: keysOf(1, 0) }), RangeError);
    assert.throws(() => createWeightedKeyPool({ connection: "x", keys: keysOf(Number.NaN) }), RangeError);
  });

  test("events and counts never carry a key", () => {
    const { pool, events } = poolWith([1, 1]);
    pool.rateLimited(0, null);
    pool.refused(1);
    const text = JSON.stringify([events, pool.counts()]);
    assert.equal(text.includes("sk-pool-key"), false);
  });

  test("the single-key pool never rests, and honours exclude", () => {
    const pool = singleKeyPool(new SecretKey("sk-single"));
    pool.rateLimited(0, 1000);
    pool.refused(0);
    assert.equal(pool.pick()?.key.reveal(), "sk-single");
    assert.equal(pool.pick(new Set([0])), null);
  });
});

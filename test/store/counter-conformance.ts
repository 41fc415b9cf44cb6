/**
 * @module test/store/counter-conformance
 * The QuotaCounterRepository part of the Store conformance suite: all-or-nothing charges, exact limits,
 * adjustments, and exactness under concurrent callers (one store, and two stores on the same data).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ChargeResult, CounterKey, Meter, Store } from "../../src/store/index.ts";

const PERIOD = Date.UTC(2025, 0, 1);

export const counterKey = (userId: string, meter: Meter = "requests", scope = "*", periodStart = PERIOD) =>
  ({ userId, meter, scope, periodStart }) satisfies CounterKey;

const ROUNDS = 5;
const CALLS = 50;
const LIMIT = 10;

async function chargeConcurrently(stores: readonly Store[], round: number): Promise<void> {
  const key = counterKey(`concurrent-${stores.length}`, "requests", "*", PERIOD + round);
  const results: ChargeResult[] = await Promise.all(
    Array.from({ length: CALLS }, (_, index) =>
      stores[index % stores.length]!.counters.tryCharge([{ key, amount: 1, limit: LIMIT }]),
    ),
  );
  assert.equal(results.filter((result) => result.ok).length, LIMIT, `round ${round}`);
  for (const result of results) {
    if (!result.ok) assert.deepEqual(result, { ok: false, key, used: LIMIT, limit: LIMIT });
  }
  for (const store of stores) assert.deepEqual(await store.counters.read([key]), [LIMIT]);
}

/** `openTwin`: a second store on the same data (a file, a server), for implementations that have one. */
export function counterConformance(store: Store, openTwin?: () => Promise<readonly [Store, Store]>): void {
  test("counters: tryCharge is all-or-nothing across keys and reports the first refusal", async () => {
    const a = counterKey("charge-a");
    const b = counterKey("charge-a", "tokens");
    assert.deepEqual(await store.counters.tryCharge([]), { ok: true });
    assert.deepEqual(
      await store.counters.tryCharge([
        { key: a, amount: 3, limit: 10 },
        { key: b, amount: 3, limit: 5 },
      ]),
      { ok: true },
    );
    assert.deepEqual(await store.counters.read([a, b]), [3, 3]);
    const refused = await store.counters.tryCharge([
      { key: a, amount: 3, limit: 10 },
      { key: b, amount: 3, limit: 5 },
    ]);
    assert.deepEqual(refused, { ok: false, key: b, used: 3, limit: 5 });
    assert.deepEqual(await store.counters.read([a, b]), [3, 3], "nothing applied");
    const first = await store.counters.tryCharge([
      { key: a, amount: 8, limit: 10 },
      { key: b, amount: 3, limit: 5 },
    ]);
    assert.deepEqual(first, { ok: false, key: a, used: 3, limit: 10 });
    // The same key twice in one call sees its own earlier charge; still nothing is applied.
    const twice = counterKey("charge-twice");
    assert.deepEqual(
      await store.counters.tryCharge([
        { key: twice, amount: 6, limit: 10 },
        { key: twice, amount: 6, limit: 10 },
      ]),
      { ok: false, key: twice, used: 6, limit: 10 },
    );
    assert.deepEqual(await store.counters.read([twice]), [0]);
  });

  test("counters: the limit is exact (used + amount == limit passes, one more fails); 0 only checks", async () => {
    const key = counterKey("boundary");
    assert.deepEqual(await store.counters.tryCharge([{ key, amount: 9, limit: 10 }]), { ok: true });
    assert.deepEqual(await store.counters.tryCharge([{ key, amount: 2, limit: 10 }]), {
      ok: false,
      key,
      used: 9,
      limit: 10,
    });
    assert.deepEqual(await store.counters.tryCharge([{ key, amount: 1, limit: 10 }]), { ok: true });
    assert.deepEqual(await store.counters.tryCharge([{ key, amount: 1, limit: 10 }]), {
      ok: false,
      key,
      used: 10,
      limit: 10,
    });
    assert.deepEqual(await store.counters.tryCharge([{ key, amount: 0, limit: 10 }]), { ok: true });
    assert.deepEqual(await store.counters.tryCharge([{ key, amount: 0, limit: 9.5 }]), {
      ok: false,
      key,
      used: 10,
      limit: 9.5,
    });
    const fresh = counterKey("boundary-check-only");
    assert.deepEqual(await store.counters.tryCharge([{ key: fresh, amount: 0, limit: 0 }]), { ok: true });
    assert.deepEqual(await store.counters.read([key, fresh]), [10, 0]);
  });

  test("counters: fractional amounts (audio seconds) add exactly", async () => {
    const key = counterKey("fractional", "audio_seconds");
    for (let index = 0; index < 4; index += 1) {
      assert.deepEqual(await store.counters.tryCharge([{ key, amount: 0.25, limit: 1 }]), { ok: true });
    }
    assert.equal((await store.counters.tryCharge([{ key, amount: 0.25, limit: 1 }])).ok, false);
    assert.deepEqual(await store.counters.read([key]), [1]);
  });

  test("counters: keys differ by user, meter, scope and period", async () => {
    const keys = [
      counterKey("isolated"),
      counterKey("isolated-2"),
      counterKey("isolated", "input_tokens"),
      counterKey("isolated", "requests", "group-a"),
      counterKey("isolated", "requests", "*", PERIOD + 1),
    ];
    for (const [index, key] of keys.entries()) await store.counters.adjust(key, index + 1);
    assert.deepEqual(await store.counters.read(keys), [1, 2, 3, 4, 5]);
  });

  test("counters: adjust adds, never goes below zero; read keeps order with zeros", async () => {
    const key = counterKey("adjusted");
    const absent = counterKey("adjusted-absent");
    await store.counters.adjust(key, 5);
    await store.counters.adjust(key, -2);
    assert.deepEqual(await store.counters.read([key]), [3]);
    await store.counters.adjust(key, -10);
    assert.deepEqual(await store.counters.read([key]), [0]);
    await store.counters.adjust(key, 0.5);
    const negativeFirst = counterKey("adjusted-negative-first");
    await store.counters.adjust(negativeFirst, -3);
    assert.deepEqual(await store.counters.read([absent, key, negativeFirst, key]), [0, 0.5, 0, 0.5]);
    assert.deepEqual(await store.counters.read([]), []);
  });

  test("counters: invalid amounts are refused before anything is written", async () => {
    const key = counterKey("invalid");
    await assert.rejects(store.counters.tryCharge([{ key, amount: -1, limit: 10 }]), RangeError);
    await assert.rejects(store.counters.tryCharge([{ key, amount: Number.NaN, limit: 10 }]), RangeError);
    await assert.rejects(store.counters.tryCharge([{ key, amount: 1, limit: Number.NaN }]), RangeError);
    await assert.rejects(store.counters.adjust(key, Number.POSITIVE_INFINITY), RangeError);
    assert.deepEqual(await store.counters.read([key]), [0]);
  });

  test(`counters: ${CALLS} concurrent charges against a limit of ${LIMIT} pass exactly ${LIMIT} times (x${ROUNDS})`, async () => {
    for (let round = 0; round < ROUNDS; round += 1) await chargeConcurrently([store], round);
  });

  if (openTwin !== undefined) {
    test(`counters: two stores on the same data, ${CALLS} interleaved charges pass exactly ${LIMIT} times (x${ROUNDS})`, async () => {
      const twin = await openTwin();
      try {
        for (let round = 0; round < ROUNDS; round += 1) await chargeConcurrently(twin, round);
      } finally {
        await Promise.all(twin.map((each) => each.close()));
      }
    });
  }
}

/**
 * @module test/store/reservation-conformance
 * The reservation part of the QuotaCounterRepository conformance suite: committed and reserved kept apart,
 * `spent` vs `held` refusals, settle committing actual usage, leases that expire, and exactness under
 * concurrent reservations (one store, and two stores on the same data).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { CounterReservation, ReserveResult, Store } from "../../src/store/index.ts";
import { counterKey } from "./counter-conformance.ts";

const T = Date.UTC(2026, 0, 1);
const LEASE = { now: T, expiresAt: T + 60_000 };
const AT_LIMIT = 1e-6;
const CALLS = 50;
const LIMIT = 10;

let ids = 0;
const nextId = () => `reservation-${++ids}`;

async function reserveConcurrently(stores: readonly Store[], round: number): Promise<void> {
  const key = counterKey(`reserve-concurrent-${stores.length}`, "requests", "*", T + round);
  const held = Array.from({ length: CALLS }, () => nextId());
  const results: ReserveResult[] = await Promise.all(
    held.map((id, index) =>
      stores[index % stores.length]!.counters.reserve(id, [{ key, amount: 1, fit: 1, limit: LIMIT }], LEASE),
    ),
  );
  const passed = held.filter((_, index) => results[index]!.ok);
  assert.equal(passed.length, LIMIT, `round ${round}`);
  for (const result of results) {
    if (!result.ok) assert.equal(result.reason, "held", "nothing is committed yet: every refusal is held");
  }
  for (const store of stores) {
    assert.deepEqual(await store.counters.readState([key], T), [{ committed: 0, reserved: LIMIT }]);
  }
  // Half succeed (commit their request), half fail (refund): only what succeeded is committed.
  await Promise.all(
    passed.map((id, index) =>
      stores[index % stores.length]!.counters.settle(id, [{ key, delta: index % 2 === 0 ? 1 : 0 }]),
    ),
  );
  for (const store of stores) {
    assert.deepEqual(await store.counters.readState([key], T), [{ committed: LIMIT / 2, reserved: 0 }]);
  }
}

/** `openTwin`: a second store on the same data (a file, a server), for implementations that have one. */
export function reservationConformance(
  store: Store,
  openTwin?: () => Promise<readonly [Store, Store]>,
): void {
  test("reservations: held apart from committed usage; settle drops them and commits the actual usage", async () => {
    const key = counterKey("reserve-settle", "tokens");
    const id = nextId();
    assert.deepEqual(
      await store.counters.reserve(id, [{ key, amount: 7, fit: AT_LIMIT, limit: 10 }], LEASE),
      {
        ok: true,
      },
    );
    assert.deepEqual(await store.counters.read([key]), [0], "a reservation is not committed usage");
    assert.deepEqual(await store.counters.readState([key], T), [{ committed: 0, reserved: 7 }]);
    await store.counters.settle(id, [{ key, delta: 3 }]);
    assert.deepEqual(await store.counters.readState([key], T), [{ committed: 3, reserved: 0 }]);
    // Settling again (or an unknown id) only applies the deltas; negative deltas never go below zero.
    await store.counters.settle(id, [{ key, delta: -5 }]);
    assert.deepEqual(await store.counters.readState([key], T), [{ committed: 0, reserved: 0 }]);
    await store.counters.settle("never-reserved", []);
  });

  test("reservations: a replayed settle counts once (nothing when a settle of its id ran, all when none did)", async () => {
    const key = counterKey("settle-replay", "tokens");
    const ran = nextId();
    await store.counters.reserve(ran, [{ key, amount: 5, fit: AT_LIMIT, limit: 100 }], LEASE);
    await store.counters.settle(ran, [{ key, delta: 2 }]);
    // Its first attempt committed but its answer was lost: the replay applies nothing.
    await store.counters.settle(ran, [{ key, delta: 2 }], { replay: true });
    assert.deepEqual(await store.counters.readState([key], T), [{ committed: 2, reserved: 0 }]);
    // Its first attempt never ran: the replay releases the hold and commits the usage, once.
    const lost = nextId();
    await store.counters.reserve(lost, [{ key, amount: 4, fit: AT_LIMIT, limit: 100 }], LEASE);
    await store.counters.settle(lost, [{ key, delta: 3 }], { replay: true });
    assert.deepEqual(await store.counters.readState([key], T), [{ committed: 5, reserved: 0 }]);
    await store.counters.settle(lost, [{ key, delta: 3 }], { replay: true });
    assert.deepEqual(await store.counters.readState([key], T), [{ committed: 5, reserved: 0 }]);
  });

  test("reservations: refused as spent by committed usage alone, as held when others' reservations fill the rest", async () => {
    const key = counterKey("reserve-spent-held", "tokens");
    await store.counters.adjust(key, 6);
    const first = nextId();
    const holding: CounterReservation = { key, amount: 3, fit: AT_LIMIT, limit: 10 };
    assert.deepEqual(await store.counters.reserve(first, [holding], LEASE), { ok: true });
    assert.deepEqual(await store.counters.reserve(nextId(), [{ ...holding, fit: 2 }], LEASE), {
      ok: false,
      key,
      reason: "held",
      committed: 6,
      reserved: 3,
      limit: 10,
    });
    assert.deepEqual(await store.counters.reserve(nextId(), [{ ...holding, fit: 5 }], LEASE), {
      ok: false,
      key,
      reason: "spent",
      committed: 6,
      reserved: 3,
      limit: 10,
    });
    // Admitted while anything is left: the bound may pass the limit (by at most one reservation).
    assert.deepEqual(await store.counters.reserve(nextId(), [{ ...holding, amount: 50 }], LEASE), {
      ok: true,
    });
    await store.counters.settle(first, [{ key, delta: 4 }]);
    const spent = await store.counters.reserve(nextId(), [holding], LEASE);
    assert.equal(spent.ok === false && spent.reason, "spent");
  });

  test("reservations: all-or-nothing across counters; the same counter twice sees its own earlier entry", async () => {
    const requests = counterKey("reserve-atomic");
    const tokens = counterKey("reserve-atomic", "tokens");
    await store.counters.adjust(tokens, 10);
    const refused = await store.counters.reserve(
      nextId(),
      [
        { key: requests, amount: 1, fit: 1, limit: 5 },
        { key: tokens, amount: 100, fit: AT_LIMIT, limit: 10 },
      ],
      LEASE,
    );
    assert.equal(refused.ok === false && refused.key, tokens);
    assert.deepEqual(await store.counters.readState([requests], T), [{ committed: 0, reserved: 0 }]);
    const twice = await store.counters.reserve(
      nextId(),
      [
        { key: requests, amount: 3, fit: 1, limit: 5 },
        { key: requests, amount: 3, fit: 3, limit: 5 },
      ],
      LEASE,
    );
    assert.deepEqual(twice, {
      ok: false,
      key: requests,
      reason: "held",
      committed: 0,
      reserved: 3,
      limit: 5,
    });
    assert.deepEqual(await store.counters.readState([requests], T), [{ committed: 0, reserved: 0 }]);
  });

  test("reservations: a lease that ended no longer holds quota, and is swept", async () => {
    const key = counterKey("reserve-lease");
    const dead = nextId();
    const lease = { now: T, expiresAt: T + 100 };
    assert.deepEqual(await store.counters.reserve(dead, [{ key, amount: 1, fit: 1, limit: 1 }], lease), {
      ok: true,
    });
    const during = await store.counters.reserve(nextId(), [{ key, amount: 1, fit: 1, limit: 1 }], {
      now: T + 99,
      expiresAt: T + 1000,
    });
    assert.equal(during.ok === false && during.reason, "held");
    assert.deepEqual(await store.counters.readState([key], T + 100), [{ committed: 0, reserved: 0 }]);
    const after = nextId();
    assert.deepEqual(
      await store.counters.reserve(after, [{ key, amount: 1, fit: 1, limit: 1 }], {
        now: T + 100,
        expiresAt: T + 1000,
      }),
      { ok: true },
    );
    // The dead call settling late still commits what it used (the counter may pass by that much).
    await store.counters.settle(dead, [{ key, delta: 1 }]);
    assert.deepEqual(await store.counters.readState([key], T + 100), [{ committed: 1, reserved: 1 }]);
    assert.equal(await store.counters.sweepExpired(T + 1000), 1);
    assert.deepEqual(await store.counters.readState([key], T), [{ committed: 1, reserved: 0 }]);
  });

  test("reservations: renew extends a live lease (never shortens it); an ended or settled lease is not revived", async () => {
    const key = counterKey("reserve-renew");
    const tokens = counterKey("reserve-renew", "tokens");
    const live = nextId();
    const lease = { now: T, expiresAt: T + 100 };
    assert.deepEqual(
      await store.counters.reserve(
        live,
        [
          { key, amount: 1, fit: 1, limit: 1 },
          { key: tokens, amount: 5, fit: AT_LIMIT, limit: 10 },
        ],
        lease,
      ),
      { ok: true },
    );
    // Renewed at T + 60 until T + 160: both counters still hold the call past its first lease.
    assert.equal(await store.counters.renew(live, { now: T + 60, expiresAt: T + 160 }), 2);
    assert.deepEqual(await store.counters.readState([key, tokens], T + 150), [
      { committed: 0, reserved: 1 },
      { committed: 0, reserved: 5 },
    ]);
    const refused = await store.counters.reserve(nextId(), [{ key, amount: 1, fit: 1, limit: 1 }], {
      now: T + 150,
      expiresAt: T + 1000,
    });
    assert.equal(refused.ok === false && refused.reason, "held", "the renewed lease still holds the request");
    // A renewal never shortens a lease.
    assert.equal(await store.counters.renew(live, { now: T + 70, expiresAt: T + 120 }), 2);
    assert.deepEqual(await store.counters.readState([key], T + 150), [{ committed: 0, reserved: 1 }]);
    // Past its end the lease is not revived: a process that stopped renewing lets its hold go.
    assert.equal(await store.counters.renew(live, { now: T + 160, expiresAt: T + 500 }), 0);
    assert.deepEqual(await store.counters.readState([key, tokens], T + 160), [
      { committed: 0, reserved: 0 },
      { committed: 0, reserved: 0 },
    ]);
    // A settled call has nothing left to renew; nor has an unknown id.
    const settled = nextId();
    await store.counters.reserve(settled, [{ key: tokens, amount: 2, fit: AT_LIMIT, limit: 10 }], LEASE);
    await store.counters.settle(settled, [{ key: tokens, delta: 1 }]);
    assert.equal(await store.counters.renew(settled, { now: T, expiresAt: T + 120_000 }), 0);
    assert.equal(await store.counters.renew("never-reserved", { now: T, expiresAt: T + 120_000 }), 0);
    assert.deepEqual(await store.counters.readState([tokens], T + 200), [{ committed: 1, reserved: 0 }]);
    await assert.rejects(store.counters.renew("", LEASE), RangeError);
    await assert.rejects(store.counters.renew(settled, { now: T, expiresAt: Number.NaN }), RangeError);
  });

  test("reservations: invalid numbers and ids are refused before anything is written", async () => {
    const key = counterKey("reserve-invalid");
    const valid = { key, amount: 1, fit: 1, limit: 10 };
    await assert.rejects(store.counters.reserve(nextId(), [{ ...valid, amount: -1 }], LEASE), RangeError);
    await assert.rejects(
      store.counters.reserve(nextId(), [{ ...valid, fit: Number.NaN }], LEASE),
      RangeError,
    );
    await assert.rejects(
      store.counters.reserve(nextId(), [{ ...valid, limit: Number.NaN }], LEASE),
      RangeError,
    );
    await assert.rejects(store.counters.reserve("", [valid], LEASE), RangeError);
    await assert.rejects(
      store.counters.reserve(nextId(), [valid], { now: T, expiresAt: Number.NaN }),
      RangeError,
    );
    await assert.rejects(store.counters.settle(nextId(), [{ key, delta: Number.NaN }]), RangeError);
    assert.deepEqual(await store.counters.readState([key], T), [{ committed: 0, reserved: 0 }]);
  });

  test(`reservations: ${CALLS} concurrent reservations against a limit of ${LIMIT} hold exactly ${LIMIT} (x3)`, async () => {
    for (let round = 0; round < 3; round += 1) await reserveConcurrently([store], round);
  });

  if (openTwin !== undefined) {
    test(`reservations: two stores on the same data, ${CALLS} interleaved reservations hold exactly ${LIMIT} (x3)`, async () => {
      const twin = await openTwin();
      try {
        for (let round = 0; round < 3; round += 1) await reserveConcurrently(twin, round);
      } finally {
        await Promise.all(twin.map((each) => each.close()));
      }
    });
  }
}

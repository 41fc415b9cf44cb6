/**
 * @module test/store/reservation-properties
 * Random sequences of reserve, settle, renew, sweep and clock moves against an implementation's counters, checked step by
 * step against a plain model: committed never negative, reserved equals the live leases, every refusal
 * classified `spent` or `held` exactly as the model says. Seeded; time-bounded generously, and an
 * interrupted run fails (never a silently smaller sample).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { Store } from "../../src/store/index.ts";
import { counterKey } from "./counter-conformance.ts";

const SEED = 1212;
const LIMIT = 20;
/** Leases and clock moves in steps of 10 ms, so a lease often ends exactly at `now`. */
const LEASE_MS = 20;
/** Every one of these runs is checked (time-bounded generously, and an interrupt is a failure). */
const RUNS = 150;

type Step =
  | { readonly kind: "reserve"; readonly amount: number; readonly fit: number }
  | { readonly kind: "settle"; readonly pick: number; readonly delta: number }
  | { readonly kind: "renew"; readonly pick: number }
  | { readonly kind: "advance"; readonly ms: number }
  | { readonly kind: "sweep" };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant("reserve" as const),
    amount: fc.integer({ min: 0, max: 15 }),
    fit: fc.oneof(fc.constant(1e-6), fc.integer({ min: 1, max: 12 })),
  }),
  fc.record({
    kind: fc.constant("settle" as const),
    pick: fc.nat(),
    delta: fc.integer({ min: -5, max: 15 }),
  }),
  fc.record({ kind: fc.constant("renew" as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant("advance" as const),
    ms: fc.integer({ min: 1, max: 3 }).map((tens) => tens * 10),
  }),
  fc.record({ kind: fc.constant("sweep" as const) }),
);

/** Registers the property test against the counters of `open()`'s store (closed at the end). */
export function reservationProperties(name: string, open: () => Store | Promise<Store>): void {
  test(`${name}: reservations follow the model under random reserve / settle / expire sequences`, async () => {
    const store = await open();
    let run = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
          run += 1;
          const key = counterKey(`property-${run}`, "tokens");
          let now = Date.UTC(2026, 0, 1);
          let committed = 0;
          const live = new Map<string, { amount: number; expiresAt: number }>();
          const ids: string[] = [];
          const reservedAt = (at: number) =>
            [...live.values()]
              .filter((lease) => lease.expiresAt > at)
              .reduce((sum, lease) => sum + lease.amount, 0);

          for (const [index, next] of steps.entries()) {
            if (next.kind === "reserve") {
              const id = `r-${run}-${index}`;
              const reserved = reservedAt(now);
              const result = await store.counters.reserve(
                id,
                [{ key, amount: next.amount, fit: next.fit, limit: LIMIT }],
                { now, expiresAt: now + LEASE_MS },
              );
              if (committed + next.fit > LIMIT) {
                assert.deepEqual(result, {
                  ok: false,
                  key,
                  reason: "spent",
                  committed,
                  reserved,
                  limit: LIMIT,
                });
              } else if (committed + reserved + next.fit > LIMIT) {
                assert.deepEqual(result, {
                  ok: false,
                  key,
                  reason: "held",
                  committed,
                  reserved,
                  limit: LIMIT,
                });
              } else {
                assert.deepEqual(result, { ok: true });
                if (next.amount > 0) live.set(id, { amount: next.amount, expiresAt: now + LEASE_MS });
                ids.push(id);
              }
            } else if (next.kind === "settle") {
              const id = ids.length === 0 ? "unknown" : ids[next.pick % ids.length]!;
              await store.counters.settle(id, [{ key, delta: next.delta }]);
              live.delete(id);
              committed = Math.max(0, committed + next.delta);
            } else if (next.kind === "renew") {
              const id = ids.length === 0 ? "unknown" : ids[next.pick % ids.length]!;
              const lease = live.get(id);
              const renewed = await store.counters.renew(id, { now, expiresAt: now + LEASE_MS });
              // Only a lease still live is extended; an ended one stays ended until swept.
              if (lease !== undefined && lease.expiresAt > now) {
                lease.expiresAt = Math.max(lease.expiresAt, now + LEASE_MS);
                assert.equal(renewed, 1, `renew at step ${index}`);
              } else {
                assert.equal(renewed, 0, `renew at step ${index}`);
              }
            } else if (next.kind === "advance") {
              now += next.ms;
            } else {
              await store.counters.sweepExpired(now);
              for (const [id, lease] of live) if (lease.expiresAt <= now) live.delete(id);
            }
            const [state] = await store.counters.readState([key], now);
            assert.deepEqual(state, { committed, reserved: reservedAt(now) }, `after step ${index}`);
            assert.ok(state!.committed >= 0);
          }
        }),
        // Every run or a failure: an interrupt (a slow machine) fails the test rather than silently checking less.
        {
          seed: SEED,
          numRuns: RUNS,
          interruptAfterTimeLimit: 30_000,
          markInterruptAsFailure: true,
          verbose: 1,
        },
      );
      assert.equal(run, RUNS, "every generated sequence was checked");
    } finally {
      await store.close();
    }
  });
}

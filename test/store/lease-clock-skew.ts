/**
 * @module test/store/lease-clock-skew
 * The review's reproduction, run against each shared store (PostgreSQL, Redis): two replicas on one store,
 * the second's clock a lease and a second ahead. The store times leases by its own clock, so that replica
 * still sees the first one's live hold and the committed total never passes the limit.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import type { CounterKey, QuotaCounterRepository } from "../../src/store/store-types.ts";

/** The default `metering.reservationLeaseMs`, and a clock ahead by more than it. */
const LEASE_MS = 900_000;
const AHEAD_MS = 901_000;

export interface SkewedReplicas {
  /** Two replicas on one store, both on the store's clock (the default). */
  readonly a: QuotaCounterRepository;
  readonly b: QuotaCounterRepository;
  /** A third on the same store, on the caller's clock (what the shared stores did before: tests only). */
  readonly caller: QuotaCounterRepository;
}

const lease = (now: number) => ({ now, expiresAt: now + LEASE_MS });
const keyOf = (name: string): CounterKey => ({
  userId: `skew-${name}-${randomUUID()}`,
  meter: "requests",
  scope: "",
  periodStart: 0,
});
const one = (key: CounterKey) => [{ key, amount: 1, fit: 1, limit: 1 }];

export function leaseClockSkew(name: string, open: () => Promise<SkewedReplicas>): void {
  test(`${name}: a replica whose clock is a lease ahead still sees another's live hold (limit 1: one committed)`, async () => {
    const { a, b } = await open();
    const key = keyOf("store");
    assert.deepEqual(await a.reserve("a-call", one(key), lease(Date.now())), { ok: true });
    const onTime = await b.reserve("b-on-time", one(key), lease(Date.now()));
    assert.equal(onTime.ok === false && onTime.reason, "held");
    const ahead = await b.reserve("b-ahead", one(key), lease(Date.now() + AHEAD_MS));
    assert.equal(ahead.ok === false && ahead.reason, "held", "A's hold is live on the store's clock");
    // A renews on its own clock; B's clock ahead neither ends A's hold nor takes the quota.
    assert.equal(await a.renew("a-call", lease(Date.now())), 1);
    const still = await b.reserve("b-ahead-2", one(key), lease(Date.now() + AHEAD_MS));
    assert.equal(still.ok === false && still.reason, "held");
    await a.settle("a-call", [{ key, delta: 1 }]);
    const spent = await b.reserve("b-after", one(key), lease(Date.now() + AHEAD_MS));
    assert.equal(spent.ok === false && spent.reason, "spent");
    assert.deepEqual(await b.readState([key], Date.now() + AHEAD_MS), [{ committed: 1, reserved: 0 }]);
  });

  test(`${name}: on the caller's clock (tests only) the same skew sweeps the live hold: what the store's clock prevents`, async () => {
    const { a, caller } = await open();
    const key = keyOf("caller");
    assert.deepEqual(await a.reserve("a-call", one(key), lease(Date.now())), { ok: true });
    assert.deepEqual(await caller.reserve("c-ahead", one(key), lease(Date.now() + AHEAD_MS)), { ok: true });
    await a.settle("a-call", [{ key, delta: 1 }]);
    await caller.settle("c-ahead", [{ key, delta: 1 }]);
    assert.deepEqual(await a.read([key]), [2], "two committed against a limit of 1");
  });
}

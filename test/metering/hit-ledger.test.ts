/**
 * @module test/metering/hit-ledger
 * The primary's ledger of the workers' hits, on a moved clock: leases only from what the limit leaves,
 * used hits logged when they happened (never earlier), returns, a lease that expires counting as used, a
 * gone worker's leases counting as used, and the Retry-After of a refusal.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createHitLedger } from "../../src/metering/rate-limits/create-hit-ledger.ts";

const WINDOW = 60_000;

function ledgerAt(holders = 2) {
  const clock = { now: 1_000_000 };
  const ledger = createHitLedger({ now: () => clock.now, leaseMs: 1_000, holders: () => holders });
  const ask = (holder: number, want: number, limit = 10) =>
    ledger.lease(holder, { key: "rpm:u", limit, windowMs: WINDOW, want });
  return { clock, ledger, ask };
}

const granted = (decision: ReturnType<ReturnType<typeof ledgerAt>["ask"]>) => {
  assert.ok(decision.ok);
  return decision;
};

test("leases never add up past the limit; each is at most an equal share of what is left, at least 1", () => {
  const { ledger, ask } = ledgerAt(2);
  const grants: number[] = [];
  for (let index = 0; index < 20; index++) {
    const decision = ask(1 + (index % 2), 100);
    if (decision.ok) grants.push(decision.granted);
  }
  assert.equal(
    grants.reduce((sum, value) => sum + value, 0),
    10,
  );
  assert.deepEqual(grants.slice(0, 3), [5, 2, 1]);
  assert.equal(ledger.held, 10);
  const refused = ask(1, 1);
  assert.deepEqual(refused, { ok: false, retryAfterSeconds: 1 }, "held by leases: retry after 1 s");
});

test("used hits are logged when they happened; the rest returned is free again at once", () => {
  const { clock, ledger, ask } = ledgerAt(1);
  const first = granted(ask(1, 10));
  assert.equal(first.granted, 10);
  clock.now += 20_000;
  // Three used 20 s, 10 s and 0 s ago; seven handed back.
  ledger.report(1, first.leaseId, [20_000, 10_000, 0], true);
  assert.equal(ledger.held, 0);
  const second = granted(ask(1, 100));
  assert.equal(second.granted, 7);
  ledger.report(1, second.leaseId, [0, 0, 0, 0, 0, 0, 0], true);
  // Full: the oldest use (60 s before now + 40 s) leaves the window first.
  assert.deepEqual(ask(1, 1), { ok: false, retryAfterSeconds: 40 });
  clock.now += 40_000;
  assert.equal(granted(ask(1, 100)).granted, 1, "one left the window");
});

test("a lease not returned in time counts as wholly used from its end; a late report changes nothing", () => {
  const { clock, ledger, ask } = ledgerAt(1);
  const lease = granted(ask(1, 4, 4));
  clock.now += 1_000; // the lease ends
  assert.deepEqual(ask(1, 1, 4), { ok: false, retryAfterSeconds: 60 });
  assert.equal(ledger.held, 0);
  ledger.report(1, lease.leaseId, [900], true);
  assert.deepEqual(ask(1, 1, 4), { ok: false, retryAfterSeconds: 60 });
  clock.now += WINDOW;
  assert.equal(granted(ask(1, 4, 4)).granted, 4);
});

test("a gone worker's leased hits count as used; another worker's report is ignored", () => {
  const { ledger, ask } = ledgerAt(2);
  const lease = granted(ask(1, 3, 10));
  ledger.report(2, lease.leaseId, [0, 0, 0], true); // not its lease
  assert.equal(ledger.held, 3);
  ledger.dropHolder(1);
  assert.equal(ledger.held, 0);
  let passed = 0;
  for (let decision = ask(2, 10); decision.ok; decision = ask(2, 10)) {
    passed += decision.granted;
    ledger.report(
      2,
      decision.leaseId,
      Array.from({ length: decision.granted }, () => 0),
      true,
    );
  }
  assert.equal(passed, 7, "the dead worker's 3 stay counted");
});

test("a key the LRU forgets while a lease is live is never granted twice (maxKeys 2)", () => {
  const clock = { now: 1_000_000 };
  const ledger = createHitLedger({ now: () => clock.now, holders: () => 1, maxKeys: 2 });
  const ask = (key: string, want: number) => ledger.lease(1, { key, limit: 5, windowMs: WINDOW, want });
  let passed = 0;
  const first = granted(ask("rpm:victim", 5));
  passed += first.granted;
  granted(ask("rpm:x1", 1));
  granted(ask("rpm:x2", 1)); // the victim's account is the LRU's oldest now
  const second = ask("rpm:victim", 5);
  if (second.ok) passed += second.granted;
  clock.now += 10;
  ledger.report(1, first.leaseId, [0, 0, 0, 0, 0], true);
  if (second.ok) ledger.report(1, second.leaseId, [0, 0, 0, 0, 0], true);
  const third = ask("rpm:victim", 5);
  if (third.ok) passed += third.granted;
  assert.equal(passed, 5, "at most the limit of 5 in the window");
  assert.equal(second.ok, false);
});

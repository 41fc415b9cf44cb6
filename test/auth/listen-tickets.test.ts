/**
 * @module test/auth/listen-tickets.test
 * The listen ticket store on its own: single use, expiry on the gateway's clock, the global bound and the
 * per-user cap (one user cannot push out everyone else's tickets).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createListenTickets, TICKETS_PER_USER } from "../../src/auth/create-listen-tickets.ts";
import type { ByokContext } from "../../src/validation/byok-context.ts";

const byok: ByokContext = {
  userId: "u",
  status: "none",
  inactiveReason: null,
  keys: {},
  custom: null,
  dropped: [],
  statusHeader: "none",
};
const grant = (userId: string) => ({
  principal: { userId, plan: null, via: "token" as const },
  model: "transcription",
  byok,
});

test("a ticket is redeemed once, and not after it expires", () => {
  let now = 1_000;
  const tickets = createListenTickets({ ttlMs: 30_000, max: 100, now: () => now });
  const first = tickets.issue(grant("ann"));
  assert.equal(first.expiresAt, 31_000);
  assert.equal(tickets.redeem(first.ticket)?.principal.userId, "ann");
  assert.equal(tickets.redeem(first.ticket), null, "single use");

  const second = tickets.issue(grant("ann"));
  now += 30_000;
  assert.equal(tickets.redeem(second.ticket), null, "expired");
  assert.equal(tickets.size, 0, "redeeming an expired ticket removes it");
  for (const bogus of ["", "lt_", "lt_unknown", "x".repeat(1000), `lt_${"a".repeat(200)}`]) {
    assert.equal(tickets.redeem(bogus), null);
  }
});

test("one user holds at most TICKETS_PER_USER tickets; others' tickets are untouched", () => {
  const tickets = createListenTickets({ ttlMs: 30_000, max: 1000 });
  const bob = tickets.issue(grant("bob"));
  const ann = Array.from({ length: TICKETS_PER_USER + 5 }, () => tickets.issue(grant("ann")));
  assert.equal(tickets.size, TICKETS_PER_USER + 1);
  for (const dropped of ann.slice(0, 5)) assert.equal(tickets.redeem(dropped.ticket), null, "oldest dropped");
  for (const kept of ann.slice(5)) assert.equal(tickets.redeem(kept.ticket)?.principal.userId, "ann");
  assert.equal(tickets.redeem(bob.ticket)?.principal.userId, "bob", "another user's ticket survives");
  assert.equal(tickets.size, 0);
});

test("the store is bounded: beyond max the least recently issued goes", () => {
  const tickets = createListenTickets({ ttlMs: 30_000, max: 3 });
  const issued = ["a", "b", "c", "d"].map((user) => tickets.issue(grant(user)));
  assert.equal(tickets.size, 3);
  assert.equal(tickets.redeem(issued[0]!.ticket), null);
  assert.equal(tickets.redeem(issued[3]!.ticket)?.principal.userId, "d");
  // The evicted user's bookkeeping is gone too: they can hold a full set again.
  const again = Array.from({ length: TICKETS_PER_USER }, () => tickets.issue(grant("a")));
  assert.equal(tickets.redeem(again.at(-1)!.ticket)?.principal.userId, "a");
});

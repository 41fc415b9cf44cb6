/**
 * @module test/auth/listen-tickets.test
 * Listen tickets over the in-memory store: single use, expiry on the gateway's clock, the global bound and
 * the per-user cap (one user cannot push out everyone else's tickets), and grants sealed in the store.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createListenTickets, TICKETS_PER_USER } from "../../src/auth/create-listen-tickets.ts";
import { createMemoryListenTicketStore } from "../../src/auth/create-memory-listen-ticket-store.ts";
import type { HeldListenTicket, ListenTicketStore } from "../../src/auth/listen-ticket-store.ts";
import { SecretKey } from "../../src/keys/secret-key.ts";
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

test("a ticket is redeemed once, and not after it expires", async () => {
  let now = 1_000;
  const store = createMemoryListenTicketStore({ max: 100 });
  const tickets = createListenTickets({ store, ttlMs: 30_000, now: () => now });
  const first = await tickets.issue(grant("ann"));
  assert.equal(first.expiresAt, 31_000);
  assert.equal((await tickets.redeem(first.ticket))?.principal.userId, "ann");
  assert.equal(await tickets.redeem(first.ticket), null, "single use");

  const second = await tickets.issue(grant("ann"));
  now += 30_000;
  assert.equal(await tickets.redeem(second.ticket), null, "expired");
  assert.equal(store.size, 0, "redeeming an expired ticket removes it");
  for (const bogus of [
    "",
    "lt_",
    "lt_unknown",
    "x".repeat(1000),
    `lt_${"a".repeat(200)}`,
    `lt_${"a".repeat(43)}`,
  ]) {
    assert.equal(await tickets.redeem(bogus), null);
  }
});

test("one user holds at most TICKETS_PER_USER tickets; others' tickets are untouched", async () => {
  const store = createMemoryListenTicketStore({ max: 1000 });
  const tickets = createListenTickets({ store, ttlMs: 30_000 });
  const bob = await tickets.issue(grant("bob"));
  const ann: { ticket: string }[] = [];
  for (let index = 0; index < TICKETS_PER_USER + 5; index++) ann.push(await tickets.issue(grant("ann")));
  assert.equal(store.size, TICKETS_PER_USER + 1);
  for (const dropped of ann.slice(0, 5))
    assert.equal(await tickets.redeem(dropped.ticket), null, "oldest dropped");
  for (const kept of ann.slice(5)) assert.equal((await tickets.redeem(kept.ticket))?.principal.userId, "ann");
  assert.equal((await tickets.redeem(bob.ticket))?.principal.userId, "bob", "another user's ticket survives");
  assert.equal(store.size, 0);
});

test("the store is bounded: beyond max the least recently issued goes", async () => {
  const store = createMemoryListenTicketStore({ max: 3 });
  const tickets = createListenTickets({ store, ttlMs: 30_000 });
  const issued: { ticket: string }[] = [];
  for (const user of ["a", "b", "c", "d"]) issued.push(await tickets.issue(grant(user)));
  assert.equal(store.size, 3);
  assert.equal(await tickets.redeem(issued[0]!.ticket), null);
  assert.equal((await tickets.redeem(issued[3]!.ticket))?.principal.userId, "d");
  // The evicted user's bookkeeping is gone too: they can hold a full set again.
  const again: { ticket: string }[] = [];
  for (let index = 0; index < TICKETS_PER_USER; index++) again.push(await tickets.issue(grant("a")));
  assert.equal((await tickets.redeem(again.at(-1)!.ticket))?.principal.userId, "a");
});

test("the store holds only the ticket's hash and the sealed grant: never the ticket or a key in clear", async () => {
  const held: HeldListenTicket[] = [];
  const inner = createMemoryListenTicketStore({ max: 10 });
  const spying: ListenTicketStore = {
    put: (ticket) => {
      held.push(ticket);
      return inner.put(ticket);
    },
    take: (id) => inner.take(id),
  };
  const tickets = createListenTickets({ store: spying, ttlMs: 30_000 });
  const key = "sk-canary-0123456789abcdefghijklmnop";
  const withKey: ByokContext = { ...byok, status: "active", keys: { deepgram: new SecretKey(key) } };
  const issued = await tickets.issue({ ...grant("kim"), byok: withKey });
  const text = JSON.stringify(held);
  assert.ok(!text.includes(key), "no key in clear");
  assert.ok(!text.includes(issued.ticket.slice(3)), "no ticket in clear");
  // A tampered seal or a ticket of the same id space does not open it.
  const redeemed = await tickets.redeem(issued.ticket);
  assert.equal(redeemed?.byok.keys.deepgram?.reveal(), key);
  assert.equal(redeemed?.byok.status, "active");
});

test("a store that cannot be reached: issue and redeem answer 503 (never a silent null)", async () => {
  const broken: ListenTicketStore = {
    put: () => Promise.reject(new Error("down")),
    take: () => Promise.reject(new Error("down")),
  };
  const tickets = createListenTickets({ store: broken, ttlMs: 30_000 });
  await assert.rejects(tickets.issue(grant("x")), { status: 503, code: "tickets_unavailable" });
  await assert.rejects(tickets.redeem(`lt_${"A".repeat(43)}`), { status: 503, code: "tickets_unavailable" });
});

/**
 * @module test/library/cut-open-calls-on-invalidation
 * After a resync (the bus may have missed messages), calls open for a user revoked meanwhile are cut;
 * other users' calls go on.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  cutOpenCallsOnInvalidation,
  recheckOpenCalls,
} from "../../src/library/cut-open-calls-on-invalidation.ts";
import { createOpenCalls } from "../../src/pipeline/index.ts";
import { createSqliteStore } from "../../src/store/index.ts";
import type { Invalidation, InvalidationBus } from "../../src/store/invalidation-bus.ts";
import { createLogger } from "../../src/telemetry/index.ts";

test("a resync rechecks the users with open calls: the one revoked meanwhile is cut, the other is not", async () => {
  const store = createSqliteStore({ path: ":memory:" });
  for (const id of ["kept", "revoked"])
    await store.users.create({ id, plan: null, createdAt: 1, revokedAt: null });
  const openCalls = createOpenCalls();
  const kept = openCalls.open("kept", new AbortController().signal);
  const revoked = openCalls.open("revoked", new AbortController().signal);
  // The revocation happened on another replica while this one's subscription was down: no message came.
  await store.users.revoke("revoked", 2);
  assert.equal(await recheckOpenCalls(openCalls, store), 1);
  assert.equal(revoked.signal.aborted, true);
  assert.equal(kept.signal.aborted, false);
  kept.close();
  revoked.close();
  await store.close();
});

test("the subscription cuts on a message with `cut`, and rechecks on a resync", async () => {
  const store = createSqliteStore({ path: ":memory:" });
  await store.users.create({ id: "u", plan: null, createdAt: 1, revokedAt: null });
  const listeners = new Set<(message: Invalidation) => void>();
  const bus: InvalidationBus = {
    async publish(message) {
      for (const listener of listeners) listener(message);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    trusted: true,
    close: async () => {},
  };
  const openCalls = createOpenCalls();
  cutOpenCallsOnInvalidation(bus, openCalls, store, createLogger({ level: "silent" }));
  const first = openCalls.open("u", new AbortController().signal);
  await bus.publish({ topic: "user", userId: "u" });
  assert.equal(first.signal.aborted, false, "no cut without `cut`");
  await bus.publish({ topic: "user", userId: "u", cut: "user_revoked" });
  assert.equal(first.signal.aborted, true);
  first.close();
  const second = openCalls.open("u", new AbortController().signal);
  await store.users.revoke("u", 3);
  const aborted = new Promise((resolve) => second.signal.addEventListener("abort", resolve));
  for (const listener of listeners) listener({ topic: "resync" });
  await aborted;
  second.close();
  await store.close();
});

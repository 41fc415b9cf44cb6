/**
 * @module test/pipeline/open-call-state
 * One open call's own state (pipeline/create-open-calls.ts): its rate hit taken once, the client's abort
 * followed through a second controller only when the client's controller is not the call's, and nothing
 * left listening on the client's signal once it closed.
 */
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { test } from "node:test";
import { createOpenCalls } from "../../src/pipeline/index.ts";

test("a call takes its requests-per-minute hit once, each call its own", () => {
  const calls = createOpenCalls();
  const first = calls.open({ userId: "u1" }, new AbortController().signal);
  const second = calls.open({ userId: "u1" }, new AbortController().signal);
  assert.equal(first.takeRateHit(), true);
  assert.equal(first.takeRateHit(), false);
  assert.equal(first.takeRateHit(), false);
  assert.equal(second.takeRateHit(), true);
  first.close();
  second.close();
  assert.equal(calls.size, 0);
});

test("the client's own controller is the call's; another signal is followed, and let go on close", () => {
  const calls = createOpenCalls();
  const controller = new AbortController();
  const owned = calls.open({ userId: "u1" }, controller.signal, controller);
  assert.equal(owned.signal, controller.signal);
  assert.equal(getEventListeners(controller.signal, "abort").length, 0);

  const client = new AbortController();
  const followed = calls.open({ userId: "u1" }, client.signal);
  assert.notEqual(followed.signal, client.signal);
  assert.equal(getEventListeners(client.signal, "abort").length, 1);
  client.abort(new Error("client left"));
  assert.equal(followed.signal.aborted, true);
  assert.equal((followed.signal.reason as Error).message, "client left");

  const later = new AbortController();
  const closed = calls.open({ userId: "u2" }, later.signal);
  closed.close();
  closed.close(); // idempotent
  assert.equal(getEventListeners(later.signal, "abort").length, 0);
  assert.equal(calls.size, 2);

  const gone = new AbortController();
  gone.abort("already");
  assert.equal(calls.open({ userId: "u3" }, gone.signal).signal.reason, "already");
  owned.close();
  followed.close();
});

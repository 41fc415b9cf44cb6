/**
 * @module test/gateway/open-calls-registry
 * The registry of calls in flight on its own: cuts by user and source, a client's abort that is not a cut,
 * shutdown's cut of everything, and `drained` once every call closed.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { isGatewayError } from "../../src/errors/gateway-error.ts";
import { createOpenCalls } from "../../src/pipeline/index.ts";

const reasonOf = (signal: AbortSignal) => (isGatewayError(signal.reason) ? signal.reason.code : "client");

test("a revocation cuts every call of that user and no other's", () => {
  const calls = createOpenCalls();
  const own = calls.open({ userId: "u1" }, new AbortController().signal);
  own.routed("byok");
  const operator = calls.open({ userId: "u1" }, new AbortController().signal);
  operator.routed("operator");
  const other = calls.open({ userId: "u2" }, new AbortController().signal);
  assert.equal(calls.cut("u1", "user_revoked"), 2);
  assert.equal(reasonOf(own.signal), "user_revoked");
  assert.equal(reasonOf(operator.signal), "user_revoked");
  assert.equal(other.signal.aborted, false);
  assert.equal(calls.cut("nobody", "user_revoked"), 0);
});

test("an enrollment change cuts calls on the user's keys and calls not yet routed, never operator-served ones", () => {
  const calls = createOpenCalls();
  const own = calls.open({ userId: "u1" }, new AbortController().signal);
  own.routed("byok");
  const unrouted = calls.open({ userId: "u1" }, new AbortController().signal);
  const operator = calls.open({ userId: "u1" }, new AbortController().signal);
  operator.routed("operator");
  assert.equal(calls.cut("u1", "enrollment_changed"), 2);
  assert.equal(reasonOf(own.signal), "enrollment_changed");
  assert.equal(reasonOf(unrouted.signal), "enrollment_changed");
  assert.equal(operator.signal.aborted, false);
});

test("a client's abort ends the call with the client's reason (not a cut); close is idempotent", () => {
  const calls = createOpenCalls();
  const client = new AbortController();
  const open = calls.open({ userId: "u1" }, client.signal);
  client.abort();
  assert.equal(open.signal.aborted, true);
  assert.equal(reasonOf(open.signal), "client");
  assert.equal(calls.size, 1, "still open until the call closes");
  open.close();
  open.close();
  assert.equal(calls.size, 0);
  assert.equal(calls.cut("u1", "user_revoked"), 0, "a closed call is not cut");
});

test("shutdown cuts every call; drained resolves when the last one closes", async () => {
  const calls = createOpenCalls();
  await calls.drained(); // none open: at once
  const a = calls.open({ userId: "u1" }, new AbortController().signal);
  const b = calls.open({ userId: "u2" }, new AbortController().signal);
  let drained = false;
  const waiting = calls.drained().then(() => {
    drained = true;
  });
  assert.equal(calls.cutAll("shutting_down"), 2);
  assert.equal(reasonOf(a.signal), "shutting_down");
  assert.equal(reasonOf(b.signal), "shutting_down");
  a.close();
  await Promise.resolve();
  assert.equal(drained, false, "one call is still open");
  b.close();
  await waiting;
  assert.equal(drained, true);
});

/**
 * @module test/resilience/local-breakers
 * The local circuit breakers' state machine on an injected clock: opens after the threshold of
 * consecutive failures, a success resets the count, half-open lets probes through one at a time (as
 * configured), a failed probe re-opens and a good one closes; transitions are told once each.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createLocalBreakers } from "../../src/resilience/create-local-breakers.ts";

const UPSTREAM = "openai|operator";

function setup(settings: { failureThreshold?: number; openMs?: number; halfOpenProbes?: number } = {}) {
  let clock = 1_000_000;
  const transitions: string[] = [];
  const breakers = createLocalBreakers({
    failureThreshold: settings.failureThreshold ?? 3,
    openMs: settings.openMs ?? 10_000,
    halfOpenProbes: settings.halfOpenProbes ?? 1,
    now: () => clock,
    onTransition: (upstream, to) => transitions.push(`${upstream}→${to}`),
  });
  const stateOf = (upstream = UPSTREAM) =>
    breakers.snapshot().find((each) => each.upstream === upstream)?.state ?? "closed";
  return { breakers, transitions, stateOf, advance: (ms: number) => (clock += ms), now: () => clock };
}

test("an upstream never seen is allowed and has no state", () => {
  const { breakers } = setup();
  assert.equal(breakers.allow(UPSTREAM), true);
  breakers.succeeded(UPSTREAM);
  assert.deepEqual(breakers.snapshot(), []);
});

test("the threshold of consecutive failures opens the breaker; it skips the upstream while open", () => {
  const { breakers, transitions, stateOf, now } = setup();
  breakers.failed(UPSTREAM);
  breakers.failed(UPSTREAM);
  assert.equal(stateOf(), "closed");
  assert.equal(breakers.allow(UPSTREAM), true);
  breakers.failed(UPSTREAM);
  assert.equal(stateOf(), "open");
  assert.equal(breakers.allow(UPSTREAM), false);
  assert.deepEqual(transitions, [`${UPSTREAM}→open`]);
  const [snapshot] = breakers.snapshot();
  assert.deepEqual(snapshot, { upstream: UPSTREAM, state: "open", failures: 3, retryAt: now() + 10_000 });
  // Another upstream is untouched.
  assert.equal(breakers.allow("openai|byok"), true);
});

test("any success resets the count: failures among successes never open it", () => {
  const { breakers, stateOf } = setup();
  for (let round = 0; round < 10; round++) {
    breakers.failed(UPSTREAM);
    breakers.failed(UPSTREAM);
    breakers.succeeded(UPSTREAM);
  }
  assert.equal(stateOf(), "closed");
  assert.equal(breakers.snapshot()[0]?.failures, 0);
});

test("after openMs one probe at a time goes; a failed probe re-opens for openMs", () => {
  const { breakers, transitions, stateOf, advance } = setup();
  for (let i = 0; i < 3; i++) breakers.failed(UPSTREAM);
  advance(9_999);
  assert.equal(breakers.allow(UPSTREAM), false);
  advance(1);
  assert.equal(breakers.allow(UPSTREAM), true, "the probe");
  assert.equal(stateOf(), "half_open");
  assert.equal(breakers.allow(UPSTREAM), false, "a second attempt waits for the probe");
  breakers.failed(UPSTREAM);
  assert.equal(stateOf(), "open");
  assert.equal(breakers.allow(UPSTREAM), false);
  advance(10_000);
  assert.equal(breakers.allow(UPSTREAM), true, "the next probe");
  breakers.succeeded(UPSTREAM);
  assert.equal(stateOf(), "closed");
  assert.equal(breakers.allow(UPSTREAM), true);
  assert.equal(breakers.allow(UPSTREAM), true);
  assert.deepEqual(transitions, [
    `${UPSTREAM}→open`,
    `${UPSTREAM}→half_open`,
    `${UPSTREAM}→open`,
    `${UPSTREAM}→half_open`,
    `${UPSTREAM}→closed`,
  ]);
  // Closed again: the count starts from zero.
  breakers.failed(UPSTREAM);
  breakers.failed(UPSTREAM);
  assert.equal(stateOf(), "closed");
});

test("halfOpenProbes lets that many probes through at a time", () => {
  const { breakers, advance } = setup({ failureThreshold: 1, halfOpenProbes: 2 });
  breakers.failed(UPSTREAM);
  advance(10_000);
  assert.deepEqual(
    [breakers.allow(UPSTREAM), breakers.allow(UPSTREAM), breakers.allow(UPSTREAM)],
    [true, true, false],
  );
});

test("a probe that never reports frees its permit after openMs", () => {
  const { breakers, advance, stateOf } = setup({ failureThreshold: 1 });
  breakers.failed(UPSTREAM);
  advance(10_000);
  assert.equal(breakers.allow(UPSTREAM), true);
  advance(9_999);
  assert.equal(breakers.allow(UPSTREAM), false);
  advance(1);
  assert.equal(breakers.allow(UPSTREAM), true, "the abandoned probe's permit came back");
  assert.equal(stateOf(), "half_open");
});

test("a late success while open decides nothing; reset closes it", async () => {
  const { breakers, stateOf } = setup({ failureThreshold: 1 });
  breakers.failed(UPSTREAM);
  breakers.succeeded(UPSTREAM);
  assert.equal(stateOf(), "open");
  assert.deepEqual(await breakers.reset(UPSTREAM), { upstream: UPSTREAM, shared: false });
  assert.equal(stateOf(), "closed");
  assert.equal(breakers.allow(UPSTREAM), true);
});

test("settings are checked at construction", () => {
  assert.throws(() => createLocalBreakers({ failureThreshold: 0, openMs: 1, halfOpenProbes: 1 }), RangeError);
  assert.throws(() => createLocalBreakers({ failureThreshold: 1, openMs: 0, halfOpenProbes: 1 }), RangeError);
  assert.throws(() => createLocalBreakers({ failureThreshold: 1, openMs: 1, halfOpenProbes: 0 }), RangeError);
});

/**
 * @module test/metering/admission-reservations
 * Admission against a real SQLite store: what a call reserves on each meter (input estimate, max_tokens,
 * the plan's ceiling or the global one), that settling commits the actual usage and a failure refunds,
 * that `consume` still charges live audio as it goes, and that a wait ends when the client aborts.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { parseConfig } from "../../src/config/index.ts";
import { createAdmissionControl } from "../../src/metering/create-admission-control.ts";
import { applicableLimits } from "../../src/metering/plan-limits.ts";
import { createLocalRateLimiter } from "../../src/metering/rate-limits/index.ts";
import { createSqliteStore } from "../../src/store/index.ts";

const NOW = Date.UTC(2026, 10, 26, 12);
const store = createSqliteStore({ path: ":memory:" });
after(() => store.close());

const config = parseConfig({
  plans: {
    global: { limits: [{ meter: "tokens", period: "day", limit: 1000 }] },
    own: {
      defaultMaxOutputTokens: 100,
      limits: [
        { meter: "input_tokens", period: "day", limit: 1000 },
        { meter: "output_tokens", period: "day", limit: 1000 },
      ],
    },
    audio: { limits: [{ meter: "audio_seconds", period: "day", limit: 10 }] },
  },
  metering: { defaultMaxOutputTokens: 300, reservationWaitMs: 30_000 },
});
const admission = createAdmissionControl({
  config,
  counters: store.counters,
  limiter: createLocalRateLimiter({ now: () => NOW }),
  now: () => NOW,
});

let users = 0;
function request(plan: string, extra: Record<string, unknown> = {}) {
  users += 1;
  return {
    userId: `admit-${users}`,
    plan,
    feature: null,
    source: "operator" as const,
    stream: false,
    maxOutputTokens: null,
    ...extra,
  };
}

async function stateOf(userId: string, plan: string) {
  const keys = applicableLimits(config.plans[plan]!, userId, null, NOW).map((limit) => limit.key);
  return store.counters.readState(keys, NOW);
}

test("without max_tokens a chat call reserves its input estimate plus the global ceiling; settle commits usage", async () => {
  const call = request("global", { estimateInputTokens: () => 25, generatesOutput: true });
  const admitted = await admission.admit(call);
  assert.deepEqual(await stateOf(call.userId, "global"), [{ committed: 0, reserved: 325 }]);
  admitted.settle({ inputTokens: 20, outputTokens: 7, audioSeconds: 0 }, true);
  assert.deepEqual(await stateOf(call.userId, "global"), [{ committed: 27, reserved: 0 }]);
});

test("a plan's own ceiling applies per meter; max_tokens replaces it; a failed call refunds at once", async () => {
  const ceiling = request("own", { estimateInputTokens: () => 10, generatesOutput: true });
  const first = await admission.admit(ceiling);
  assert.deepEqual(await stateOf(ceiling.userId, "own"), [
    { committed: 0, reserved: 10 },
    { committed: 0, reserved: 100 },
  ]);
  first.settle(null, false);
  assert.deepEqual(await stateOf(ceiling.userId, "own"), [
    { committed: 0, reserved: 0 },
    { committed: 0, reserved: 0 },
  ]);
  const bounded = request("own", {
    estimateInputTokens: () => 10,
    generatesOutput: true,
    maxOutputTokens: 5,
  });
  await admission.admit(bounded);
  assert.deepEqual(await stateOf(bounded.userId, "own"), [
    { committed: 0, reserved: 10 },
    { committed: 0, reserved: 5 },
  ]);
});

test("embeddings reserve their input only; speech reserves no tokens", async () => {
  const embeddings = request("global", { estimateInputTokens: () => 40, generatesOutput: false });
  await admission.admit(embeddings);
  assert.deepEqual(await stateOf(embeddings.userId, "global"), [{ committed: 0, reserved: 40 }]);
  const speech = request("global");
  await admission.admit(speech);
  assert.deepEqual(await stateOf(speech.userId, "global"), [{ committed: 0, reserved: 0 }]);
});

test("consume still charges live audio as it goes and refuses past the limit; settle reconciles", async () => {
  const live = request("audio", { stream: true });
  const session = await admission.admit(live);
  assert.equal(await session.consume({ inputTokens: 0, outputTokens: 0, audioSeconds: 6 }), null);
  assert.deepEqual(await stateOf(live.userId, "audio"), [{ committed: 6, reserved: 0 }]);
  const refused = await session.consume({ inputTokens: 0, outputTokens: 0, audioSeconds: 5 });
  assert.equal(refused?.type, "quota_exceeded");
  session.settle({ inputTokens: 0, outputTokens: 0, audioSeconds: 6.5 }, true);
  assert.deepEqual(await stateOf(live.userId, "audio"), [{ committed: 6.5, reserved: 0 }]);
});

test("a call waiting on another's reservation is admitted when it settles, and stops waiting when its client leaves", async () => {
  const holder = request("global", { estimateInputTokens: () => 10, maxOutputTokens: 990 });
  const held = await admission.admit(holder);
  const waiting = admission.admit({ ...holder, maxOutputTokens: 500 });
  held.settle({ inputTokens: 5, outputTokens: 5, audioSeconds: 0 }, true);
  const admitted = await waiting;
  assert.deepEqual(await stateOf(holder.userId, "global"), [{ committed: 10, reserved: 510 }]);

  const client = new AbortController();
  const abandoned = admission.admit({ ...holder, maxOutputTokens: 600, signal: client.signal });
  client.abort();
  await assert.rejects(abandoned, (error: { type?: string; code?: string }) => {
    assert.equal(error.type, "rate_limited");
    assert.equal(error.code, "quota_reserved");
    return true;
  });
  admitted.settle(null, false);
  assert.deepEqual(await stateOf(holder.userId, "global"), [{ committed: 10, reserved: 0 }]);
});

/** An admission on its own movable clock and fake timers, its store's `renew` calls recorded. */
function renewingAdmission(t: import("node:test").TestContext, failRenewals = 0) {
  t.mock.timers.enable({ apis: ["setInterval"] });
  let clock = NOW;
  let failing = failRenewals;
  const renewals: Array<{ id: string; now: number; expiresAt: number }> = [];
  const renewFailures: unknown[] = [];
  const counters = {
    ...store.counters,
    renew: (id: string, lease: { now: number; expiresAt: number }) => {
      renewals.push({ id, ...lease });
      if (failing > 0) {
        failing -= 1;
        return Promise.reject(new Error("the store is down"));
      }
      return store.counters.renew(id, lease);
    },
  };
  const leasedConfig = parseConfig({
    plans: { one: { limits: [{ meter: "requests", period: "day", limit: 1 }] } },
    metering: { reservationWaitMs: 0, reservationLeaseMs: 1500 },
  });
  const leased = createAdmissionControl({
    config: leasedConfig,
    counters,
    limiter: createLocalRateLimiter({ now: () => clock }),
    now: () => clock,
    observer: { onRenewFailed: (error) => renewFailures.push(error) },
  });
  return {
    admission: leased,
    /** The user's one `requests` counter. */
    keysOf: (userId: string) =>
      applicableLimits(leasedConfig.plans.one!, userId, null, NOW).map((limit) => limit.key),
    renewals,
    renewFailures,
    advance: (ms: number) => {
      clock += ms;
    },
    now: () => clock,
    /** Lets the renewals started by a timer tick reach the store. */
    settleStore: () => new Promise((resolve) => setImmediate(resolve)),
  };
}

test("a running call's lease is renewed every lease / 3 on the same clock, so it holds its quota past its first lease", async (t) => {
  const env = renewingAdmission(t);
  const call = request("one", { stream: true });
  const running = await env.admission.admit(call);
  const keys = env.keysOf(call.userId);
  // 1 s of the clock, then one renewal period (500 ms) of timers: the lease now ends 1.5 s after that.
  env.advance(1000);
  t.mock.timers.tick(500);
  await env.settleStore();
  assert.equal(env.renewals.length, 1);
  assert.equal(env.renewals[0]!.now, NOW + 1000);
  assert.equal(env.renewals[0]!.expiresAt, NOW + 2500);
  // Past the first lease (NOW + 1500), the call still holds its request: a second call is refused.
  env.advance(1000);
  assert.deepEqual(await store.counters.readState(keys, env.now()), [{ committed: 0, reserved: 1 }]);
  await assert.rejects(env.admission.admit({ ...call, stream: false }), (error: { code?: string }) => {
    assert.equal(error.code, "quota_reserved");
    return true;
  });
  // A consume that comes a period or more after the last renewal renews too (no timer needed).
  assert.equal(await running.consume({ inputTokens: 0, outputTokens: 0, audioSeconds: 0 }), null);
  assert.equal(env.renewals.length, 2);
  assert.equal(env.renewals[1]!.expiresAt, NOW + 3500);
  // Settled: the timer is cleared, however long the clock and the timers run on.
  running.settle(null, true);
  t.mock.timers.tick(60_000);
  env.advance(60_000);
  await env.settleStore();
  assert.equal(env.renewals.length, 2);
  assert.deepEqual(await store.counters.readState(keys, env.now()), [{ committed: 1, reserved: 0 }]);
});

test("a call that is never renewed (its process died) lets its hold go one lease later", async (t) => {
  const env = renewingAdmission(t);
  const call = request("one", { stream: true });
  await env.admission.admit(call);
  // No timer ticks (a dead process renews nothing): at NOW + 1500 the lease has ended.
  env.advance(1500);
  const next = await env.admission.admit({ ...call, stream: false });
  next.settle(null, false);
  assert.equal(env.renewals.length, 0);
});

test("a renewal the store refuses is reported and tried again at the next period", async (t) => {
  const env = renewingAdmission(t, 1);
  const call = request("one", { stream: true });
  const running = await env.admission.admit(call);
  env.advance(1000);
  t.mock.timers.tick(500);
  await env.settleStore();
  assert.equal(env.renewFailures.length, 1);
  assert.match(String(env.renewFailures[0]), /the store is down/);
  t.mock.timers.tick(500);
  await env.settleStore();
  assert.equal(env.renewals.length, 2);
  assert.equal(env.renewals[1]!.expiresAt, NOW + 2500);
  env.advance(1000);
  assert.deepEqual(await store.counters.readState(env.keysOf(call.userId), env.now()), [
    { committed: 0, reserved: 1 },
  ]);
  running.settle(null, false);
});

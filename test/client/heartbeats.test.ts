/**
 * @module test/client/heartbeats
 * startHeartbeats with hand-fired timers: against a real gateway an active user never expires; against a stub,
 * failures back off (Retry-After honoured), a 404 stops the schedule, and stop() ends it even mid-call.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ByokClientError } from "../../client/src/byok-client-error.ts";
import { createByokClient } from "../../client/src/create-byok-client.ts";
import type { EnrollmentStatus } from "../../client/src/gateway-types.ts";
import { nextHeartbeatDelay, startHeartbeats } from "../../client/src/start-heartbeats.ts";
import { createEventQueue, createManualTimers } from "../support/manual-timers.ts";
import { type ModelGateway, startModelGateway } from "../support/model-gateway.ts";
import { type StubServer, startStubServer } from "../support/stub-server.ts";

const DAY = 24 * 60 * 60 * 1000;
type Event = { status: EnrollmentStatus } | { error: unknown; willRetry: boolean };
let env: ModelGateway;
let stub: StubServer;

before(async () => {
  env = await startModelGateway();
  stub = await startStubServer();
});
after(async () => {
  await env.close();
  await stub.close();
});

test("the next heartbeat is half the time left, within the bounds", () => {
  const status = (expiresAt: string | null) =>
    ({
      active: true,
      providers: [],
      custom: null,
      enrolledAt: null,
      lastSeenAt: null,
      expiresAt,
    }) as EnrollmentStatus;
  const now = Date.UTC(2026, 0, 1);
  assert.equal(
    nextHeartbeatDelay(status(new Date(now + 7 * DAY).toISOString()), now, 60_000, 30 * DAY),
    3.5 * DAY,
  );
  assert.equal(
    nextHeartbeatDelay(status(new Date(now + 7 * DAY).toISOString()), now, 60_000, DAY / 2),
    DAY / 2,
  );
  assert.equal(nextHeartbeatDelay(status(new Date(now - DAY).toISOString()), now, 60_000, DAY), 60_000);
  assert.equal(nextHeartbeatDelay(status(null), now, 60_000, DAY), DAY);
});

test("against a real gateway, heartbeats on schedule keep an active user enrolled for weeks", async () => {
  const user = await env.user({ openai: "sk-heartbeat-openai-1111" });
  const client = createByokClient({ baseUrl: env.gateway.url, token: user.token });
  const timers = createManualTimers();
  const events = createEventQueue<Event>();
  const stop = client.startHeartbeats({
    timers,
    now: env.gateway.clock.now,
    maxIntervalMs: 30 * DAY,
    onStatus: (status) => events.push({ status }),
    onError: (error, willRetry) => events.push({ error, willRetry }),
  });
  assert.deepEqual(timers.pending(), [0], "the first heartbeat goes at once");
  for (let round = 0; round < 10; round++) {
    const waited = timers.fireOnly();
    env.gateway.clock.advance(waited);
    const event = await events.next();
    assert.ok("status" in event, JSON.stringify(event));
    assert.equal(event.status.active, true, `still active after ${round} rounds`);
    assert.equal(Date.parse(event.status.lastSeenAt!), env.gateway.clock.now());
    assert.deepEqual(timers.pending(), [3.5 * DAY], "the next one at half the 7-day TTL");
  }
  stop();
  assert.deepEqual(timers.pending(), []);
  assert.equal((await client.status()).active, true);
});

test("failures back off with jitter and Retry-After; a success resets it; a 404 stops the schedule", async () => {
  const answers = [
    { status: 503, body: { error: { type: "service_unavailable", message: "busy" } } },
    { status: 502, body: "<html>proxy</html>" },
    {
      status: 429,
      headers: { "retry-after": "120" },
      body: { error: { type: "rate_limited", message: "slow" } },
    },
    {
      status: 200,
      body: {
        active: true,
        providers: ["openai"],
        custom: null,
        enrolledAt: null,
        lastSeenAt: null,
        expiresAt: null,
      },
    },
    { status: 404, body: { error: { type: "enrollment_not_found", message: "none" } } },
  ];
  stub.answer(() => answers.shift() ?? { status: 500, body: "unexpected" });
  const client = createByokClient({ baseUrl: stub.url, token: "byok_stub" });
  const timers = createManualTimers();
  const events = createEventQueue<Event>();
  client.startHeartbeats({
    timers,
    random: () => 0.5,
    retryInitialMs: 1000,
    maxIntervalMs: DAY,
    onStatus: (status) => events.push({ status }),
    onError: (error, willRetry) => events.push({ error, willRetry }),
  });
  const expectations: Array<[number, (event: Event) => void]> = [
    [0, (event) => assert.deepEqual(retryOf(event), [503, true])],
    [750, (event) => assert.deepEqual(retryOf(event), [502, true])],
    [1500, (event) => assert.deepEqual(retryOf(event), [429, true])],
    [120_000, (event) => assert.ok("status" in event)],
    [DAY, (event) => assert.deepEqual(retryOf(event), [404, false])],
  ];
  for (const [delay, check] of expectations) {
    assert.deepEqual(timers.pending(), [delay]);
    timers.fireOnly();
    check(await events.next());
  }
  assert.deepEqual(timers.pending(), [], "a 404 (no enrollment) is not retried");
});

test("a huge Retry-After waits at most retryMaxMs, and never past half the time left before expiresAt", async () => {
  const T0 = Date.parse("2026-11-26T12:00:00.000Z");
  const renewed = {
    status: 200,
    body: {
      active: true,
      providers: ["openai"],
      custom: null,
      enrolledAt: null,
      lastSeenAt: new Date(T0).toISOString(),
      expiresAt: new Date(T0 + 7 * DAY).toISOString(),
    },
  };
  const busy = {
    status: 503,
    headers: { "retry-after": "999999999" },
    body: { error: { type: "service_unavailable", message: "busy" } },
  };
  const run = async (retryMaxMs: number | undefined, expected: number) => {
    const answers = [renewed, busy];
    stub.answer(() => answers.shift() ?? { status: 500, body: "unexpected" });
    const client = createByokClient({ baseUrl: stub.url, token: "byok_stub" });
    const timers = createManualTimers();
    const events = createEventQueue<Event>();
    let clock = T0;
    const stop = client.startHeartbeats({
      timers,
      now: () => clock,
      random: () => 0.5,
      ...(retryMaxMs === undefined ? {} : { retryMaxMs }),
      onStatus: (status) => events.push({ status }),
      onError: (error, willRetry) => events.push({ error, willRetry }),
    });
    timers.fireOnly();
    assert.ok("status" in (await events.next()));
    clock += timers.fireOnly(); // 12 hours later, the gateway is busy "for 31 years"
    assert.deepEqual(retryOf(await events.next()), [503, true]);
    assert.deepEqual(timers.pending(), [expected]);
    stop();
  };
  await run(undefined, 5 * 60 * 1000); // the default retryMaxMs
  // A retryMaxMs longer than the enrollment has left: half the 6.5 days left.
  await run(30 * DAY, (7 * DAY - 12 * 60 * 60 * 1000) / 2);
});

test("stop() during a heartbeat in flight schedules nothing more", async () => {
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const status: EnrollmentStatus = {
    active: true,
    providers: [],
    custom: null,
    enrolledAt: null,
    lastSeenAt: null,
    expiresAt: null,
  };
  const call = held.then(() => status);
  let calls = 0;
  const timers = createManualTimers();
  let statuses = 0;
  const stop = startHeartbeats(
    () => {
      calls += 1;
      return call;
    },
    { timers, onStatus: () => statuses++ },
  );
  timers.fireOnly();
  assert.equal(calls, 1);
  stop();
  release();
  // The scheduler awaited `call` before this test did, so its continuation has run by now.
  await call;
  assert.deepEqual(timers.pending(), []);
  assert.equal(statuses, 0);
});

function retryOf(event: Event): [number, boolean] {
  assert.ok("error" in event, JSON.stringify(event));
  assert.ok(event.error instanceof ByokClientError);
  return [event.error.status, event.willRetry];
}

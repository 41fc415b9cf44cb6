/**
 * @module test/metering/lease-renewal-http
 * A call longer than its reservation's lease keeps holding its request (review finding 4): with a plan of one
 * request a day, no second call is admitted after the clock passes a live session's or a stream's first lease.
 */
import assert from "node:assert/strict";
import { EventEmitter, once } from "node:events";
import { join } from "node:path";
import { test } from "node:test";
import { createSqliteStore, type Store } from "../../src/store/index.ts";
import { call as callGateway, errorOf } from "../support/gateway-client.ts";
import { nextConnection, openLive, startListenGateway } from "../support/listen-gateway.ts";
import { startModelGateway } from "../support/model-gateway.ts";

const LEASE_MS = 1000;
/** A renewal is due every LEASE_MS / 3 of real time; this is many periods, even on a loaded machine. */
const RENEWAL_WAIT_MS = 10_000;
/** Two steps of the clock pass the first lease; one does not. */
const STEP_MS = 700;
const QUERY = { model: "transcription", encoding: "linear16", sample_rate: "16000" };

/** The real SQLite store, announcing each lease renewal (with the clock it was made at). */
function renewalsOf(store: Store, renewals: EventEmitter): Store {
  const counters = {
    ...store.counters,
    renew: async (id: string, lease: { readonly now: number; readonly expiresAt: number }) => {
      const renewed = await store.counters.renew(id, lease);
      renewals.emit("renewed", lease.now);
      return renewed;
    },
  };
  return {
    kind: store.kind,
    users: store.users,
    tokens: store.tokens,
    enrollments: store.enrollments,
    usage: store.usage,
    counters,
    ping: () => store.ping(),
    close: () => store.close(),
  };
}

/**
 * Resolves at the first renewal made at `at` or later on the gateway's clock, or after a generous real
 * time without one (a gateway that never renews: the assertions that follow then show what it let through).
 */
async function renewedAt(renewals: EventEmitter, at: number): Promise<void> {
  const giveUp = new AbortController();
  const waiting = (async () => {
    for (;;) {
      const [now] = (await once(renewals, "renewed", { signal: giveUp.signal })) as [number];
      if (now >= at) return;
    }
  })();
  const timer = setTimeout(() => giveUp.abort(), RENEWAL_WAIT_MS);
  await waiting.catch(() => undefined);
  clearTimeout(timer);
}

test("a live session kept open past its lease still holds its request: no second session beyond the plan", async (t) => {
  const renewals = new EventEmitter();
  const env = await startListenGateway({
    config: {
      plans: { tiny: { limits: [{ meter: "requests", period: "day", limit: 1 }] } },
      metering: { reservationWaitMs: 0, reservationLeaseMs: LEASE_MS },
      speechToText: { liveIdleTimeoutMs: 600_000 },
    },
    store: (dataDir) => renewalsOf(createSqliteStore({ path: join(dataDir, "byok.sqlite") }), renewals),
  });
  t.after(() => env.close());
  const user = await env.user(null, "tiny");
  const headers = { authorization: `Token ${user.token}` };
  const started = env.gateway.clock.now();

  const first = await openLive(env.liveUrl, QUERY, headers);
  // 70 % of the lease passes on the gateway's clock; the session renews its lease (a timer of lease / 3).
  env.gateway.clock.advance(STEP_MS);
  await renewedAt(renewals, started + STEP_MS);
  // Now past the session's first lease: before renewals existed, its request was released here.
  env.gateway.clock.advance(STEP_MS);
  first.ws.send(JSON.stringify({ type: "KeepAlive" }));

  const admittedUpstream = nextConnection(env).then(() => "admitted" as const);
  const second = await openLive(env.liveUrl, QUERY, headers);
  const outcome = await Promise.race([second.closed, admittedUpstream]);
  assert.notEqual(outcome, "admitted", "a second session was admitted beyond the plan's one request");
  assert.equal(typeof outcome === "object" && outcome.code, 4029);
  assert.match(typeof outcome === "object" ? outcome.reason : "", /quota_reserved|held by this user's calls/);

  first.ws.close(1000);
  await first.closed;
});

test("a chat stream kept open past its lease still holds its request: a second call is refused, not served", async (t) => {
  const renewals = new EventEmitter();
  const env = await startModelGateway({
    features: { summary: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }] } },
    config: {
      plans: { tiny: { limits: [{ meter: "requests", period: "day", limit: 1 }] } },
      defaultPlan: "tiny",
      metering: { reservationWaitMs: 0, reservationLeaseMs: LEASE_MS },
    },
    store: (dataDir) => renewalsOf(createSqliteStore({ path: join(dataDir, "byok.sqlite") }), renewals),
  });
  t.after(() => env.close());
  const user = await env.user();
  const started = env.gateway.clock.now();
  const client = new AbortController();
  // The fake never finishes a stream asked to "hang": the call runs until the client leaves.
  const stream = await fetch(`${env.gateway.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "summary", stream: true, messages: [{ role: "user", content: "hang" }] }),
    signal: client.signal,
  });
  assert.equal(stream.status, 200);
  const reader = stream.body!.getReader();
  await reader.read();
  try {
    env.gateway.clock.advance(STEP_MS);
    await renewedAt(renewals, started + STEP_MS);
    env.gateway.clock.advance(STEP_MS);
    const second = await callGateway(env.gateway, "POST", "/v1/chat/completions", {
      token: user.token,
      body: { model: "summary", messages: [{ role: "user", content: "hi" }] },
    });
    assert.equal(second.status, 429, `a second call beyond the plan's one request: ${second.text}`);
    assert.equal(errorOf(second).code, "quota_reserved");
  } finally {
    const closed = env.fakes.openai.nextAbortedResponse();
    client.abort();
    await closed;
  }
  // The cut stream commits its one request: the plan is spent, never passed.
  const usage = await callGateway(env.gateway, "GET", "/v1/usage", { token: user.token });
  assert.ok((usage.body as { limits: Array<{ used: number }> }).limits[0]!.used <= 1, usage.text);
});

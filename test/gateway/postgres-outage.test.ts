/**
 * @module test/gateway/postgres-outage.test
 * PostgreSQL going away under a real gateway, played by a loopback TCP proxy between them: calls that need
 * the store answer 503 `store_unavailable`, /readyz fails, nothing crashes, the pool reconnects on its own, and
 * usage records wait in the bounded buffer (the overflow counted) and are written exactly once after.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { call, errorOf } from "../support/gateway-client.ts";
import { type ModelGateway, startModelGateway } from "../support/model-gateway.ts";
import { createTestSchema, type TestSchema } from "../support/postgres.ts";
import { ADMIN_TOKEN } from "../support/start-gateway.ts";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.ts";

/** Trust auth ignores it: a canary that must never appear in a log line. */
const PASSWORD = "pg-canary-password-0000";
const USER_KEY = "sk-user-openai-outage-000000000000";

interface Outage {
  readonly env: ModelGateway;
  readonly proxy: TcpProxy;
  readonly schema: TestSchema;
}

async function startBehindProxy(metering: Record<string, number>): Promise<Outage> {
  const schema = await createTestSchema();
  const proxy = await startTcpProxy({ host: "127.0.0.1", port: 5432 });
  const url = new URL(schema.url);
  const env = await startModelGateway({
    config: {
      storage: {
        postgres: {
          url: `postgres://postgres:${PASSWORD}@127.0.0.1:${proxy.port}${url.pathname}`,
          schema: schema.schema,
          // Short enough to keep the stalled calls quick, long enough for a loaded machine's healthy ones.
          connectTimeoutMs: 1500,
          statementTimeoutMs: 2000,
        },
      },
      metering,
      // Operator-served calls check a quota in the store on every call.
      plans: { pro: { limits: [{ meter: "requests", period: "month", limit: 1000 }] } },
      defaultPlan: "pro",
    },
  });
  after(async () => {
    await env.close();
    await proxy.close();
    await schema.drop();
  });
  return { env, proxy, schema };
}

const chat = (outage: Outage, token: string, headers: Record<string, string> = {}) =>
  call(outage.env.gateway, "POST", "/v1/chat/completions", {
    token,
    headers,
    body: { model: "summary", messages: [{ role: "user", content: "hello" }] },
  });

const usageRows = async (schema: TestSchema, userId: string) =>
  (
    await schema.query<{ n: number }>("SELECT COUNT(*)::int AS n FROM usage_records WHERE user_id = $1", [
      userId,
    ])
  )[0]?.n;

test("PostgreSQL away: 503 store_unavailable, /readyz fails, BYOK calls go on into the bounded buffer; back: all written once", async () => {
  const outage = await startBehindProxy({ flushIntervalMs: 60_000, maxQueued: 100 });
  const { env, proxy, schema } = outage;
  const { byok } = env.gateway;
  const own = await env.user({ openai: USER_KEY });
  const fresh = await env.user(); // created, never seen by the authenticator's cache
  const metered = await env.user(); // operator-served: its token gets cached, its quota never is
  assert.equal((await chat(outage, own.token, own.headers)).status, 200);
  assert.equal((await chat(outage, metered.token)).status, 200);
  await byok.usage.flush();
  assert.equal(await usageRows(schema, own.id), 1);
  assert.equal(await usageRows(schema, metered.id), 1);

  // Down: pooled connections cut (their `error` events must not crash the process), new ones stall.
  proxy.setMode("stall");
  assert.ok(proxy.cutAll() > 0, "the pool held connections");
  const ready = await call(env.gateway, "GET", "/readyz");
  assert.deepEqual([ready.status, ready.body], [503, { status: "store_unavailable" }]);
  const refused = await chat(outage, fresh.token);
  assert.equal(refused.status, 503);
  assert.equal(errorOf(refused).type, "store_unavailable");
  const quota = await chat(outage, metered.token);
  assert.equal(quota.status, 503, "a quota that cannot be checked refuses the operator-served call");
  assert.equal(errorOf(quota).type, "store_unavailable");
  const admin = await call(env.gateway, "POST", "/admin/users", {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    body: { id: "made-while-down" },
  });
  assert.equal(admin.status, 503);
  assert.equal(errorOf(admin).type, "store_unavailable");

  // A known token and enrollment are cached: BYOK calls need no store; 105 records for a buffer of 100.
  for (let index = 0; index < 105; index += 1) {
    assert.equal((await chat(outage, own.token, own.headers)).status, 200, `call ${index}`);
  }
  await byok.usage.flush(); // fails: still down
  const metrics = await call(env.gateway, "GET", "/metrics");
  assert.match(metrics.text, /^byok_usage_records_dropped_total 5$/m);

  // Back: no restart, the pool opens new connections on its own.
  proxy.setMode("pass");
  const back = await call(env.gateway, "GET", "/readyz");
  assert.deepEqual([back.status, back.body], [200, { status: "ready" }]);
  await byok.usage.flush();
  assert.equal(await usageRows(schema, own.id), 101, "the first record and the 100 buffered, once each");
  assert.equal((await chat(outage, fresh.token)).status, 200);
  await env.gateway.waitForLog("usage records could not be written");
  assert.equal(
    env.gateway.logs.some((line) => line.includes(PASSWORD)),
    false,
    "the database URL's password is never logged",
  );
});

test("a usage batch that commits but whose answer is lost is retried and counted once", async () => {
  const outage = await startBehindProxy({ flushIntervalMs: 60_000 });
  const { env, proxy, schema } = outage;
  const { byok } = env.gateway;
  const own = await env.user({ openai: USER_KEY });
  assert.equal((await chat(outage, own.token, own.headers)).status, 200);

  // The INSERT reaches the server and commits; its answer never comes back, so the append fails.
  proxy.mute(true);
  await byok.usage.flush();
  await env.gateway.waitForLog("usage records could not be written");
  assert.equal(await usageRows(schema, own.id), 1, "committed despite the lost answer");

  // The connection whose answer was lost was dropped by the pool; the others answer again.
  proxy.mute(false);
  await byok.usage.flush(); // the retry: same record id, nothing added
  assert.equal(await usageRows(schema, own.id), 1);
  assert.equal(
    env.gateway.logs.filter((line) => line.includes("usage records could not be written")).length,
    1,
    "the retry itself succeeded (no unique-key failure left it queued)",
  );
  const report = await byok.usage.overTime({ userId: own.id, from: 0, to: Date.UTC(2100, 0), bucket: "day" });
  assert.equal(
    report.data.reduce((sum, row) => sum + row.requests, 0),
    1,
  );
});

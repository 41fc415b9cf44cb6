/**
 * byok.admin: the operator's operations as typed library calls, over a real SQLite store, with the same
 * checks and effects as the gateway's /admin API.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type Byok, createByok } from "../../src/index.ts";
import { createLogger } from "../../src/telemetry/index.ts";
import { captureLogs, createTempDir, TEST_PEPPER } from "../support/start-gateway.ts";

let byok: Byok;
before(async () => {
  byok = await createByok({
    config: {
      pepper: TEST_PEPPER,
      dataDir: createTempDir(),
      plans: {
        free: { limits: [{ meter: "requests", period: "day", limit: 10 }] },
        pro: { description: "more", limits: [] },
      },
      defaultPlan: "free",
    },
    logger: createLogger({ level: "silent", destination: captureLogs().destination }),
  });
});
after(() => byok.close());

test("users: create with a token that authenticates, get, list, set a plan, revoke", async () => {
  const created = await byok.admin.users.create({ id: "ann@example.com", plan: "pro" });
  assert.equal(created.id, "ann@example.com");
  assert.equal((await byok.authenticate(`Bearer ${created.token}`)).userId, "ann@example.com");
  const ann = await byok.admin.users.get("ann@example.com");
  assert.equal(ann?.plan, "pro");
  assert.equal(ann?.revokedAt, null);
  assert.equal(await byok.admin.users.get("nobody"), null);
  await byok.admin.users.create({ id: "ben" });
  assert.deepEqual(
    (await byok.admin.users.list()).map((user) => [user.id, user.plan]),
    [
      ["ann@example.com", "pro"],
      ["ben", null],
    ],
  );
  await byok.admin.users.setPlan("ben", "free");
  assert.equal((await byok.admin.users.get("ben"))?.plan, "free");
  await assert.rejects(byok.admin.users.setPlan("ben", "gold"), { type: "invalid_request", param: "plan" });
  await assert.rejects(byok.admin.users.create({ id: "ben" }), { type: "user_exists", param: "id" });
  await assert.rejects(byok.admin.users.create({ id: "no spaces" }), {
    type: "invalid_request",
    param: "id",
  });

  const second = await byok.admin.tokens.issue("ann@example.com");
  assert.notEqual(second.token, created.token);
  await byok.admin.users.revoke("ann@example.com");
  for (const token of [created.token, second.token]) {
    await assert.rejects(byok.authenticate(`Bearer ${token}`), { status: 401 });
  }
  assert.equal(typeof (await byok.admin.users.get("ann@example.com"))?.revokedAt, "number");
  await assert.rejects(byok.admin.tokens.issue("ann@example.com"), { type: "user_not_found" });
  await assert.rejects(byok.admin.users.revoke("nobody"), { type: "user_not_found" });
});

test("plans: the configured plans, the default one marked", () => {
  const plans = byok.admin.plans.list();
  assert.deepEqual(
    plans.map((plan) => [plan.name, plan.isDefault, plan.limits.length]),
    [
      ["free", true, 1],
      ["pro", false, 0],
    ],
  );
  assert.throws(() => {
    (plans as unknown as unknown[]).push({});
  }, TypeError);
});

test("usage: a user's report under their plan, usage over time, clear errors", async () => {
  await byok.admin.users.create({ id: "cat", plan: "free" });
  const report = await byok.admin.usage.report("cat");
  assert.equal(report.plan, "free");
  await assert.rejects(byok.admin.usage.report("nobody"), { type: "user_not_found" });
  const now = Date.now();
  assert.deepEqual(
    await byok.admin.usage.overTime({ userId: "cat", from: now - 3_600_000, to: now, bucket: "hour" }),
    {
      data: [],
    },
  );
  await assert.rejects(byok.admin.usage.overTime({ from: now, to: now, bucket: "day" }), {
    type: "invalid_request",
    param: "from",
  });
  await assert.rejects(byok.admin.usage.overTime({ from: Number.NaN, to: now, bucket: "day" }), {
    type: "invalid_request",
    param: "from",
  });
});

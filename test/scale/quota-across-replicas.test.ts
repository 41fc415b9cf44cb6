/**
 * @module test/scale/quota-across-replicas
 * Three replicas, one quota: exactly the plan's limit is served whatever replica each request lands on.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { eventually } from "../support/replica-streams.ts";
import { ADMIN_TOKEN } from "../support/start-gateway.ts";
import { type Replicas, startReplicas } from "../support/start-replicas.ts";

const LIMIT = 10;
const OPERATOR_REQUESTS = 60;
const BYOK_REQUESTS = 15;
const RUNS = 10;
const USER_KEY = "sk-user-openai-scale-0000000000000000";

let fleet: Replicas;
/** What each run served, by user: the usage API must show exactly this. */
const served = new Map<string, { operator: number; byok: number }>();

before(async () => {
  fleet = await startReplicas({
    config: {
      plans: {
        metered: {
          limits: [{ meter: "requests", period: "day", limit: LIMIT }],
          // Only the quota may refuse here: no rate limit in the way.
          rateLimits: { requestsPerMinute: 0, concurrentStreams: 0 },
        },
      },
      defaultPlan: "metered",
      // A call refused only by others' reservations waits for them to settle (a refunded one frees its place).
      metering: { flushIntervalMs: 20, reservationWaitMs: 3000 },
    },
  });
});

after(async () => {
  await fleet?.close();
});

const chat = { model: "chat", messages: [{ role: "user", content: "count me" }] };

test(`quota exactness: ${OPERATOR_REQUESTS} concurrent operator-served requests against a limit of ${LIMIT}, spread over three replicas, ${RUNS} runs`, async () => {
  for (let run = 0; run < RUNS; run++) {
    const user = `quota-run-${run}`;
    const token = await fleet.addUser(user);
    await fleet.enroll(fleet.replicas[run % 3]!, token, { openai: USER_KEY });
    const byReplica = (index: number) => fleet.replicas[index % fleet.replicas.length]!;
    const operator = Array.from({ length: OPERATOR_REQUESTS }, (_, index) =>
      fleet.call(byReplica(index), "POST", "/v1/chat/completions", { token, body: chat }),
    );
    const byok = Array.from({ length: BYOK_REQUESTS }, (_, index) =>
      fleet.call(byReplica(index + run), "POST", "/v1/chat/completions", {
        token,
        headers: { "x-byok-openai": USER_KEY },
        body: chat,
      }),
    );
    const [operatorAnswers, byokAnswers] = await Promise.all([Promise.all(operator), Promise.all(byok)]);
    const succeeded = operatorAnswers.filter((answer) => answer.status === 200);
    const outcomes = new Map<string, number>();
    for (const answer of operatorAnswers) {
      const type = (answer.body as { error?: { type?: string; code?: string } }).error;
      const outcome = `${answer.status} ${type?.type ?? ""} ${type?.code ?? ""}`.trim();
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    assert.equal(
      succeeded.length,
      LIMIT,
      `run ${run}: exactly the limit is served (${JSON.stringify([...outcomes])})`,
    );
    for (const answer of succeeded) {
      assert.equal(answer.headers.get("x-byok-route"), "openai/gpt-4o-mini; source=operator");
    }
    const refusals = operatorAnswers.filter((answer) => answer.status !== 200);
    for (const answer of refusals) {
      assert.ok([402, 429].includes(answer.status), `run ${run}: a refusal, not ${answer.status}`);
      const type = (answer.body as { error: { type: string } }).error.type;
      assert.ok(["quota_exceeded", "rate_limited"].includes(type), type);
    }
    // BYOK-served requests of the same user are never refused, quota spent or not.
    for (const answer of byokAnswers) {
      assert.equal(answer.status, 200, `run ${run}: BYOK-served ${JSON.stringify(answer.body)}`);
      assert.equal(answer.headers.get("x-byok-route"), "openai/gpt-4o-mini; source=byok");
    }
    // Once the served calls' reservations are committed (just after their answers), every replica says spent:
    // 402, where a moment before it may still say 429 quota_reserved.
    for (const replica of fleet.replicas) {
      await eventually(`run ${run}: 402 on ${replica.url}`, async () => {
        const next = await fleet.call(replica, "POST", "/v1/chat/completions", { token, body: chat });
        assert.ok([402, 429].includes(next.status), `run ${run}: ${next.status}`);
        return next.status === 402;
      });
    }
    served.set(user, { operator: LIMIT, byok: BYOK_REQUESTS });
  }
});

interface UsageRow {
  readonly source: "byok" | "operator";
  readonly requests: number;
}

test("usage totals (admin usage API) equal the served requests, whatever replica served them", async () => {
  assert.equal(served.size, RUNS, "the quota runs served their requests");
  const totals = async (replicaIndex: number, user: string) => {
    const answer = await fleet.call(
      fleet.replicas[replicaIndex]!,
      "GET",
      `/admin/usage?user=${encodeURIComponent(user)}`,
      { token: ADMIN_TOKEN },
    );
    assert.equal(answer.status, 200);
    const sum = { operator: 0, byok: 0 };
    for (const row of (answer.body as { data: UsageRow[] }).data) sum[row.source] += row.requests;
    return sum;
  };
  for (const [user, expected] of served) {
    // Records are written in batches (metering.flushIntervalMs): wait until every replica's batch landed.
    await eventually(`${user}'s usage is recorded`, async () => {
      const seen = await totals(0, user);
      return seen.operator >= expected.operator && seen.byok >= expected.byok;
    });
    for (let index = 0; index < fleet.replicas.length; index++) {
      assert.deepEqual(await totals(index, user), expected, `${user} on replica ${index}`);
    }
  }
});

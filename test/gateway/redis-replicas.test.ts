/**
 * @module test/gateway/redis-replicas
 * Three gateways on one SQLite file and one Redis, requests spread over them: quotas exact across replicas
 * (BYOK-served calls never refused), a revocation on one refused on the others at once, a listen ticket
 * redeemed once on another replica, and nothing raw left in Redis.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { SecretKey } from "../../src/keys/secret-key.ts";
import { createSqliteStore } from "../../src/store/sqlite/create-sqlite-store.ts";
import type { ByokContext } from "../../src/validation/byok-context.ts";
import { call, errorOf } from "../support/gateway-client.ts";
import { type GatewayUser, type ModelGateway, startModelGateway } from "../support/model-gateway.ts";
import { ADMIN_TOKEN, createTempDir } from "../support/start-gateway.ts";
import { openQuotaFence, openTestRedis, type TestRedis } from "../support/test-redis.ts";

const LIMIT = 10;
const USER_KEY = "sk-user-replicas-openai-0123456789abcdef";

let redis: TestRedis;
let replicas: ModelGateway[] = [];
const used = { tokens: [] as string[], tickets: [] as string[] };

function chat(replica: ModelGateway, user: GatewayUser, headers: Record<string, string> = {}) {
  return call(replica.gateway, "POST", "/v1/chat/completions", {
    token: user.token,
    headers,
    body: { model: "summary", messages: [{ role: "user", content: "hi" }] },
  });
}

async function newUser(plan?: string): Promise<GatewayUser> {
  const user = await replicas[0]!.user({ openai: USER_KEY });
  used.tokens.push(user.token);
  if (plan !== undefined) {
    const response = await call(replicas[0]!.gateway, "PUT", `/admin/users/${user.id}/plan`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: { plan },
    });
    assert.equal(response.status, 200, response.text);
  }
  return user;
}

before(async () => {
  redis = await openTestRedis();
  await openQuotaFence(redis.client, redis.prefix);
  const path = join(createTempDir(), "shared.sqlite");
  for (let index = 0; index < 3; index++) {
    replicas.push(
      await startModelGateway({
        store: () => createSqliteStore({ path }),
        config: {
          // Exactness is the claim here, not latency: a loaded CI machine must not turn a slow round trip
          // into a 503 (the 500 ms default command time-out has its own tests).
          redis: { url: redis.url, keyPrefix: redis.prefix, commandTimeoutMs: 5_000 },
          plans: { small: { limits: [{ meter: "requests", period: "day", limit: LIMIT }] } },
        },
      }),
    );
  }
});

after(async () => {
  for (const replica of replicas) await replica.close();
  replicas = [];
  await redis.close();
});

describe("three replicas on one Redis", () => {
  test(`quota: 30 concurrent operator-served calls over three replicas against ${LIMIT} → exactly ${LIMIT} pass; BYOK-served never refused`, async () => {
    const user = await newUser("small");
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, index) => chat(replicas[index % 3]!, user)),
    );
    const passed = responses.filter((response) => response.status === 200).length;
    assert.equal(passed, LIMIT, responses.map((response) => response.status).join(","));
    for (const response of responses) {
      if (response.status !== 200) assert.ok([402, 429].includes(response.status), response.text);
    }
    const byok = await Promise.all(
      Array.from({ length: 6 }, (_, index) => chat(replicas[index % 3]!, user, user.headers)),
    );
    for (const response of byok) assert.equal(response.status, 200, response.text);
    assert.equal(byok[0]!.headers.get("x-byok-route")?.includes("byok"), true);
  });

  test("a user revoked on one replica is refused on the others at the next request (their caches were warm)", async () => {
    const user = await newUser();
    for (const replica of replicas) assert.equal((await chat(replica, user, user.headers)).status, 200);
    // Delivery to other replicas is asynchronous: listen before revoking, and wait for it (an event).
    const heard = replicas.slice(1).map(
      (replica) =>
        new Promise<void>((resolve) => {
          const stop = replica.gateway.byok.bus.subscribe((message) => {
            if (message.topic !== "user" || message.userId !== user.id || message.cut === undefined) return;
            stop();
            resolve();
          });
        }),
    );
    const revoked = await call(replicas[0]!.gateway, "DELETE", `/admin/users/${user.id}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    assert.equal(revoked.status, 200, revoked.text);
    await Promise.all(heard);
    for (const replica of replicas.slice(1)) {
      const response = await chat(replica, user, user.headers);
      assert.equal(response.status, 401, response.text);
      assert.equal(errorOf(response).type, "invalid_credentials");
    }
  });

  test("a listen ticket issued on A is redeemed once on B, and refused on C", async () => {
    const user = await newUser();
    const byok: ByokContext = {
      userId: user.id,
      status: "active",
      inactiveReason: null,
      keys: { openai: new SecretKey(USER_KEY) },
      custom: null,
      dropped: [],
      statusHeader: "active; accepted=openai",
    };
    const principal = { userId: user.id, plan: null, via: "token" as const };
    const [a, b, c] = replicas.map((replica) => replica.gateway.byok);
    const issued = await a!.listenTickets.issue({ principal, model: "transcription", byok });
    used.tickets.push(issued.ticket);
    const redeemed = await b!.listenTickets.redeem(issued.ticket);
    assert.equal(redeemed?.principal.userId, user.id);
    assert.equal(redeemed?.byok.keys.openai?.reveal(), USER_KEY, "the keys travel sealed and come back");
    assert.equal(await c!.listenTickets.redeem(issued.ticket), null, "single use across replicas");
    // One more left waiting in Redis, for the scan below.
    used.tickets.push((await a!.listenTickets.issue({ principal, model: "transcription", byok })).ticket);
  });

  test("Redis holds no raw key, token or ticket: every key and value scanned", async () => {
    const keys = await redis.keys();
    assert.ok(keys.length > 5, `a full run left state to scan (${keys.length} keys)`);
    const texts: string[] = [...keys];
    for (const key of keys) {
      const type = await redis.client.type(key);
      if (type === "string") texts.push((await redis.client.get(key)) ?? "");
      else if (type === "hash") texts.push(...Object.entries(await redis.client.hgetall(key)).flat());
      else if (type === "zset") texts.push(...(await redis.client.zrange(key, 0, -1)));
      else if (type === "set") texts.push(...(await redis.client.smembers(key)));
      else assert.fail(`unexpected ${type} at ${key}`);
    }
    const secrets = [
      USER_KEY,
      ...used.tokens,
      ...used.tickets,
      ...used.tickets.map((ticket) => ticket.slice(3)),
    ];
    assert.ok(used.tickets.length >= 2 && used.tokens.length >= 3);
    for (const text of texts) {
      for (const secret of secrets) assert.ok(!text.includes(secret), `a raw secret in Redis: ${key(text)}`);
      assert.ok(!text.includes("127.0.0.1"), "no client address");
    }
  });
});

const key = (text: string) => text.slice(0, 40);

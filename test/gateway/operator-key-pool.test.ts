/**
 * @module test/gateway/operator-key-pool.test
 * Operator key pools end to end: a loopback provider that answers by the key it receives (one key healthy,
 * one 429 with Retry-After, one 401). Requests spread over a healthy pool by weight; a request drawing a
 * failing key rotates to another key of the pool in the same request (the attempt loop, issue #17 part A);
 * log lines and /metrics name slots and counts, never keys; later requests avoid the resting and refused
 * keys until their time, on the gateway's clock.
 */
import assert from "node:assert/strict";
import type http from "node:http";
import { after, before, describe, test } from "node:test";
import { type RecordedRequest, startFakeOpenAiProvider } from "../peers/fake-openai-provider.ts";
import { addUser, call, type JsonResponse } from "../support/gateway-client.ts";
import { startGateway, type TestGateway } from "../support/start-gateway.ts";

const KEYS = {
  ok: "sk-pool-e2e-healthy-000000000000",
  limited: "sk-pool-e2e-limited-111111111111",
  refused: "sk-pool-e2e-refused-222222222222",
} as const;
const SPREAD = [
  "sk-pool-e2e-spread-0-3333333333",
  "sk-pool-e2e-spread-1-4444444444",
  "sk-pool-e2e-spread-2-5555555555",
];
const RETRY_AFTER_SECONDS = 120;
const REFUSED_MS = 900_000;

type FakeProvider = Awaited<ReturnType<typeof startFakeOpenAiProvider>>;

const bearerOf = (request: RecordedRequest) =>
  /^Bearer (\S+)$/.exec(request.headers.authorization ?? "")?.[1] ?? "";

function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Answers every request by its key, for as long as the fake runs (each handler queues the next). */
function answerByKey(fake: FakeProvider): void {
  const handler = (request: RecordedRequest, res: http.ServerResponse) => {
    fake.respondNext(handler);
    const key = bearerOf(request);
    if (key === KEYS.limited) {
      sendJson(
        res,
        429,
        {
          error: {
            message: "Rate limit reached for requests",
            type: "requests",
            param: null,
            code: "rate_limit_exceeded",
          },
        },
        { "retry-after": String(RETRY_AFTER_SECONDS) },
      );
    } else if (key === KEYS.refused) {
      sendJson(res, 401, {
        error: {
          message: "Incorrect API key provided.",
          type: "invalid_request_error",
          param: null,
          code: "invalid_api_key",
        },
      });
    } else {
      sendJson(res, 200, {
        id: `chatcmpl-pool-${fake.requests.length}`,
        object: "chat.completion",
        created: 1_700_000_000,
        model: "gpt-4.1-mini",
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: "pooled", refusal: null },
            logprobs: null,
            finish_reason: "stop",
          },
        ],
        usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
      });
    }
  };
  fake.respondNext(handler);
}

describe("operator key pools through the gateway", () => {
  let fake: FakeProvider;
  let gateway: TestGateway;
  let token: string;

  before(async () => {
    fake = await startFakeOpenAiProvider();
    answerByKey(fake);
    gateway = await startGateway({
      config: {
        providers: {
          openai: {
            baseUrl: fake.baseUrl,
            // The failing keys weigh most, so the first requests draw them.
            apiKeys: [
              { apiKey: KEYS.ok, weight: 1 },
              { apiKey: KEYS.limited, weight: 1000 },
              { apiKey: KEYS.refused, weight: 1000 },
            ],
            keyPool: { coolDownMs: 60_000, maxCoolDownMs: 600_000, refusedMs: REFUSED_MS },
          },
        },
        connections: {
          "openai-spread": {
            kind: "openai",
            baseUrl: fake.baseUrl,
            apiKeys: SPREAD.map((apiKey) => ({ apiKey })),
          },
        },
        features: {
          pooled: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }], operatorFallback: true },
          spread: {
            routes: [{ connection: "openai-spread", model: "gpt-4.1-mini" }],
            operatorFallback: true,
          },
        },
      },
    });
    token = await addUser(gateway, "pool-user");
  });
  after(async () => {
    await gateway?.close();
    await fake?.close();
  });

  const chat = (model: string): Promise<JsonResponse> =>
    call(gateway, "POST", "/v1/chat/completions", {
      token,
      body: { model, messages: [{ role: "user", content: "hello" }] },
    });

  /** The keys the provider received while `work` ran, in order. */
  async function keysDuring(work: () => Promise<unknown>): Promise<string[]> {
    const from = fake.requests.length;
    await work();
    return fake.requests.slice(from).map(bearerOf);
  }

  const metricsText = async () => (await call(gateway, "GET", "/metrics")).text;

  const assertNoKeyAnywhere = async () => {
    const seen = `${gateway.logs.join("\n")}\n${await metricsText()}`;
    assert.equal(seen.includes("sk-pool-e2e"), false, "no pool key in a log line or /metrics");
  };

  test("operator requests spread over a pool's keys; byok_operator_keys counts them, never a key", async () => {
    const keys = await keysDuring(async () => {
      for (let index = 0; index < 60; index++) {
        const response = await chat("spread");
        assert.equal(response.status, 200, response.text);
        assert.equal(
          response.headers.get("x-byok-route")?.startsWith("openai-spread/gpt-4.1-mini; source=operator"),
          true,
        );
      }
    });
    assert.deepEqual([...new Set(keys)].sort(), [...SPREAD].sort(), "every key of the pool served");
    const metrics = await metricsText();
    assert.match(metrics, /byok_operator_keys\{connection="openai-spread",state="available"\} 3/);
    assert.match(metrics, /byok_operator_keys\{connection="openai-spread",state="resting"\} 0/);
    await assertNoKeyAnywhere();
  });

  test("a 429 key and a 401 key: a request rotates to one other key of the pool; the log names slots", async () => {
    const failing = new Set<string>();
    for (let index = 0; index < 10 && failing.size < 2; index++) {
      let response: JsonResponse | undefined;
      const keys = await keysDuring(async () => {
        response = await chat("pooled");
      });
      assert.ok(keys.length <= 2, "one request rotates to at most one other key");
      assert.equal(new Set(keys).size, keys.length, "no key tried twice in one request");
      if (keys.includes(KEYS.ok)) {
        assert.equal(
          response?.status,
          200,
          `served after rotating keys: ${response?.status} ${response?.text}`,
        );
        assert.match(response.headers.get("x-byok-route") ?? "", /^openai\/gpt-4\.1-mini; source=operator/);
        assert.equal(keys.at(-1), KEYS.ok, "the healthy key served");
      } else {
        assert.notEqual(
          response?.status,
          200,
          "both failing keys tried: the provider's refusal is the answer",
        );
      }
      for (const key of keys) if (key !== KEYS.ok) failing.add(key);
    }
    assert.deepEqual([...failing].sort(), [KEYS.limited, KEYS.refused].sort());
    const limited = JSON.parse(await gateway.waitForLog('"event":"rate_limited"')) as { keyPool: unknown };
    assert.deepEqual(limited.keyPool, {
      connection: "openai",
      slot: 1,
      event: "rate_limited",
      restMs: RETRY_AFTER_SECONDS * 1000,
    });
    const refused = JSON.parse(await gateway.waitForLog('"event":"refused"')) as { keyPool: unknown };
    assert.deepEqual(refused.keyPool, {
      connection: "openai",
      slot: 2,
      event: "refused",
      restMs: REFUSED_MS,
    });
    await assertNoKeyAnywhere();
  });

  test("later requests avoid the resting and refused keys until their time, on the gateway's clock", async () => {
    // A request that drew the two failing keys gets the provider's refusal (at most one other key each).
    const served = async (count: number) => {
      const all: string[] = [];
      for (let index = 0; index < count; index++) {
        let status = 0;
        const keys = await keysDuring(async () => {
          status = (await chat("pooled")).status;
        });
        assert.equal(status === 200, keys.includes(KEYS.ok), "served exactly when the healthy key was drawn");
        all.push(...keys);
      }
      return all;
    };
    assert.deepEqual(
      new Set(await served(10)),
      new Set([KEYS.ok]),
      "only the healthy key while the others sit out",
    );
    const metrics = await metricsText();
    assert.match(metrics, /byok_operator_keys\{connection="openai",state="available"\} 1/);
    assert.match(metrics, /byok_operator_keys\{connection="openai",state="resting"\} 1/);
    assert.match(metrics, /byok_operator_keys\{connection="openai",state="refused"\} 1/);

    gateway.clock.advance(RETRY_AFTER_SECONDS * 1000 - 1000);
    assert.deepEqual(new Set(await served(5)), new Set([KEYS.ok]), "still resting before its Retry-After");
    gateway.clock.advance(1000);
    const afterRest = await served(5);
    assert.ok(afterRest.includes(KEYS.limited), "the rate-limited key is tried again after its Retry-After");
    assert.equal(afterRest.includes(KEYS.refused), false, "the refused key stays out");

    gateway.clock.advance(REFUSED_MS);
    assert.ok((await served(5)).includes(KEYS.refused), "the refused key is tried again after refusedMs");
    await assertNoKeyAnywhere();
  });
});

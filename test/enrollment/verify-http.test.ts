/**
 * @module test/enrollment/verify-http
 * POST /v1/byok/verify against loopback fakes: each provider's probe on the wire, valid / invalid / unknown
 * from 200, 401, 403, 429, 503, stalls and refused connections, the custom endpoint through the guard,
 * keys never echoed, the per-user rate limit, and the enrollment left untouched.
 */
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, describe, test } from "node:test";
import {
  closedPort,
  type FakeKeyCheckProvider,
  startFakeKeyCheckProvider,
} from "../peers/fake-key-check-provider.ts";
import { addUser, call, enroll, errorOf, type JsonResponse } from "../support/gateway-client.ts";
import { startGateway, type TestGateway } from "../support/start-gateway.ts";

const KEYS = {
  openai: "sk-user-openai-verify-1111111111111111",
  anthropic: "sk-ant-user-verify-2222222222222222",
  gemini: "AIzaUserGeminiVerify333333333333333",
  openrouter: "sk-or-user-verify-4444444444444444",
  deepgram: "dg-user-verify-5555555555555555555",
  custom: "sk-custom-user-verify-666666666666666",
} as const;
const HEADER = {
  openai: "x-byok-openai",
  anthropic: "x-byok-anthropic",
  gemini: "x-byok-gemini",
  openrouter: "x-byok-openrouter",
  deepgram: "x-byok-deepgram",
  custom: "x-byok-custom",
} as const;
type Provider = keyof typeof KEYS;

interface Result {
  status: string;
  message: string | null;
  latencyMs: number;
  httpStatus: number | null;
  egressReason: string | null;
}
const resultsOf = (response: JsonResponse) =>
  (response.body as { results: Partial<Record<Provider, Result>> }).results;

function headersFor(providers: readonly Provider[], extra: Record<string, string> = {}) {
  return { ...Object.fromEntries(providers.map((id) => [HEADER[id], KEYS[id]])), ...extra };
}

describe("POST /v1/byok/verify", () => {
  let fake: FakeKeyCheckProvider;
  let gateway: TestGateway;
  let users = 0;
  const newUser = () => addUser(gateway, `verifier-${++users}`);
  const verify = (token: string, headers: Record<string, string>) =>
    call(gateway, "POST", "/v1/byok/verify", { token, headers });

  before(async () => {
    fake = await startFakeKeyCheckProvider();
    gateway = await startGateway({
      config: {
        providers: Object.fromEntries(
          Object.entries(fake.baseUrls).map(([id, baseUrl]) => [id, { baseUrl }]),
        ) as Record<string, { baseUrl: string }>,
        egress: { allowCidrs: ["127.0.0.1/32"], allowHttpHosts: ["127.0.0.1"] },
        verify: { requestsPerMinute: 5, timeoutMs: 500 },
      },
    });
  });
  after(async () => {
    await gateway.close();
    await fake.close();
  });

  test("sends each provider's cheapest authenticated call and reports valid keys", async () => {
    const token = await newUser();
    const from = fake.requests.length;
    const response = await verify(
      token,
      headersFor(["openai", "anthropic", "gemini", "openrouter", "deepgram", "custom"], {
        "x-byok-custom-base-url": fake.customBaseUrl,
      }),
    );
    assert.equal(response.status, 200, response.text);
    const results = resultsOf(response);
    assert.deepEqual(Object.keys(results).sort(), [
      "anthropic",
      "custom",
      "deepgram",
      "gemini",
      "openai",
      "openrouter",
    ]);
    for (const [id, result] of Object.entries(results)) {
      assert.equal(result.status, "valid", id);
      assert.equal(result.httpStatus, 200);
      assert.equal(result.message, null);
      assert.equal(result.egressReason, null);
      assert.ok(Number.isInteger(result.latencyMs) && result.latencyMs >= 0);
    }
    const seen = new Map(fake.requests.slice(from).map((request) => [request.prefix, request]));
    assert.equal(seen.size, 6);
    const expect = (prefix: string, url: string, header: string, value: string) => {
      const request = seen.get(prefix)!;
      assert.equal(request.method, "GET", prefix);
      assert.equal(request.url, url, prefix);
      assert.equal(request.headers[header], value, prefix);
    };
    expect("openai", "/openai/v1/models", "authorization", `Bearer ${KEYS.openai}`);
    expect("anthropic", "/anthropic/v1/models", "x-api-key", KEYS.anthropic);
    assert.equal(seen.get("anthropic")!.headers["anthropic-version"], "2023-06-01");
    expect("gemini", "/gemini/v1beta/models", "x-goog-api-key", KEYS.gemini);
    assert.equal(seen.get("gemini")!.headers.authorization, undefined);
    expect("openrouter", "/openrouter/api/v1/key", "authorization", `Bearer ${KEYS.openrouter}`);
    expect("deepgram", "/deepgram/v1/projects", "authorization", `Token ${KEYS.deepgram}`);
    expect("custom", "/custom/v1/models", "authorization", `Bearer ${KEYS.custom}`);
    for (const request of fake.requests.slice(from)) {
      for (const key of Object.values(KEYS)) assert.ok(!request.url.includes(key), "no key in a URL");
    }
  });

  const answers: Array<[string, Parameters<FakeKeyCheckProvider["setMode"]>[1], string, number | null]> = [
    ["401", { status: 401, body: { error: { message: "Invalid API key." } } }, "invalid", 401],
    ["403", { status: 403, body: { error: { message: "Key disabled for this project." } } }, "invalid", 403],
    ["429", { status: 429, body: { error: { message: "Slow down." } } }, "unknown", 429],
    ["503", { status: 503, body: { error: { message: "Overloaded." } } }, "unknown", 503],
    ["a stall past the time limit", "stall", "unknown", null],
  ];
  for (const [name, mode, status, httpStatus] of answers) {
    test(`${name} from the provider is ${status}`, async () => {
      const token = await newUser();
      fake.setMode("openai", mode);
      try {
        const response = await verify(token, headersFor(["openai", "anthropic"]));
        assert.equal(response.status, 200, response.text);
        const { openai, anthropic } = resultsOf(response);
        assert.equal(openai?.status, status);
        assert.equal(openai?.httpStatus, httpStatus);
        assert.ok(openai?.message && openai.message.length > 0);
        if (typeof mode === "object") assert.match(openai!.message!, /^openai: /);
        else assert.match(openai!.message!, /time|in time/i);
        assert.equal(anthropic?.status, "valid", "the other probe is independent");
      } finally {
        fake.setMode("openai", { status: 200, body: { data: [] } });
      }
    });
  }

  test("gemini's 400 API_KEY_INVALID is invalid", async () => {
    const token = await newUser();
    fake.setMode("gemini", {
      status: 400,
      body: {
        error: {
          code: 400,
          message: "API key not valid. Please pass a valid API key.",
          status: "INVALID_ARGUMENT",
        },
      },
    });
    try {
      const { gemini } = resultsOf(await verify(token, headersFor(["gemini"])));
      assert.equal(gemini?.status, "invalid");
      assert.equal(gemini?.httpStatus, 400);
    } finally {
      fake.setMode("gemini", { status: 200, body: {} });
    }
  });

  test("a provider that echoes the key in its error: the key never reaches the answer or the log", async () => {
    const token = await newUser();
    fake.setMode("openrouter", "echo");
    try {
      const response = await verify(token, headersFor(["openrouter", "openai"]));
      const { openrouter } = resultsOf(response);
      assert.equal(openrouter?.status, "invalid");
      assert.match(openrouter!.message!, /\[redacted\]/);
      for (const key of Object.values(KEYS)) {
        assert.ok(!response.text.includes(key), "no key in the answer");
        assert.ok(!response.text.includes(key.slice(-4)), "no masked key in the answer");
        assert.ok(!gateway.logs.some((line) => line.includes(key)), "no key in a log line");
      }
    } finally {
      fake.setMode("openrouter", { status: 200, body: {} });
    }
  });

  test("a provider that quotes the key in disguise (spaced out, percent-encoded): its message is withheld", async () => {
    const token = await newUser();
    fake.setMode("openrouter", "echo-disguised");
    try {
      const { openrouter } = resultsOf(await verify(token, headersFor(["openrouter"])));
      assert.equal(openrouter?.status, "invalid");
      assert.equal(
        openrouter?.message,
        "openrouter: HTTP 401 (the provider's message was withheld: it quoted the key)",
      );
    } finally {
      fake.setMode("openrouter", { status: 200, body: {} });
    }
  });

  test("the custom endpoint goes through the egress guard: a refused URL is invalid with the reason", async () => {
    const token = await newUser();
    const from = fake.requests.length;
    const response = await verify(
      token,
      headersFor(["custom"], { "x-byok-custom-base-url": "https://localhost/v1" }),
    );
    const { custom } = resultsOf(response);
    assert.equal(custom?.status, "invalid");
    assert.equal(custom?.egressReason, "host_denied");
    assert.equal(custom?.httpStatus, null);
    assert.equal(fake.requests.length, from, "nothing was sent");
  });

  test("a refused connection is unknown; no custom base URL at all is invalid", async () => {
    const token = await newUser();
    const port = await closedPort();
    const refused = resultsOf(
      await verify(
        token,
        headersFor(["custom"], { "x-byok-custom-base-url": `http://127.0.0.1:${port}/v1` }),
      ),
    ).custom;
    assert.equal(refused?.status, "unknown");
    assert.equal(refused?.egressReason, null);
    assert.ok(refused?.message);
    const missing = resultsOf(await verify(token, headersFor(["custom"]))).custom;
    assert.equal(missing?.status, "invalid");
    assert.match(missing!.message!, /custom base URL/i);
  });

  test("without the header, the enrolled custom base URL is checked for the enrolled key only; the enrollment never changes", async () => {
    const token = await newUser();
    assert.equal(
      (await enroll(gateway, token, { custom: KEYS.custom }, { baseUrl: fake.customBaseUrl, model: "m" }))
        .status,
      200,
    );
    const before = (await call(gateway, "GET", "/v1/byok/enrollment", { token })).body;
    gateway.clock.advance(60_000);
    const from = fake.requests.length;
    const response = await verify(token, headersFor(["custom"]));
    assert.equal(response.status, 200, response.text);
    assert.equal(resultsOf(response).custom?.status, "valid");
    assert.equal(fake.requests.slice(from)[0]?.url, "/custom/v1/models");
    const afterStatus = (await call(gateway, "GET", "/v1/byok/enrollment", { token })).body;
    assert.deepEqual(afterStatus, before, "no heartbeat, no change");

    // A key that does not match the enrollment may be meant for another endpoint: it is sent nowhere.
    const other = fake.requests.length;
    const unmatched = resultsOf(
      await verify(token, { "x-byok-custom": "sk-a-different-custom-key-0000000" }),
    ).custom;
    assert.equal(unmatched?.status, "invalid");
    assert.match(unmatched!.message!, /custom base URL/i);
    assert.equal(fake.requests.length, other, "nothing was sent");
  });

  test("an unusable base-URL header never falls back to the enrolled endpoint: invalid, url_invalid, nothing sent", async () => {
    const token = await newUser();
    assert.equal(
      (await enroll(gateway, token, { custom: KEYS.custom }, { baseUrl: fake.customBaseUrl })).status,
      200,
    );
    const from = fake.requests.length;
    const newKey = "sk-NEW-key-for-B-0000000000000000";
    for (const presentedKey of [newKey, KEYS.custom]) {
      const response = await verify(token, {
        "x-byok-custom": presentedKey,
        "x-byok-custom-base-url": `http://127.0.0.1:1/v1?${"b".repeat(2100)}`,
      });
      assert.equal(response.status, 200, response.text);
      const { custom } = resultsOf(response);
      assert.equal(custom?.status, "invalid");
      assert.equal(custom?.egressReason, "url_invalid");
      assert.match(custom!.message!, /X-BYOK-Custom-Base-Url/);
    }
    assert.equal(fake.requests.length, from, "no key reached the enrolled endpoint");
  });

  test('a base-URL header sent twice (Node joins it with ", ") is unusable: invalid, url_invalid, nothing sent', async () => {
    const token = await newUser();
    const from = fake.requests.length;
    // Raw header pairs: the same header twice, as a client or proxy may send it.
    const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(`${gateway.url}/v1/byok/verify`, {
        method: "POST",
        headers: [
          "host",
          new URL(gateway.url).host, // raw header pairs: Node adds no Host or length of its own
          "content-length",
          "0",
          "authorization",
          `Bearer ${token}`,
          "x-byok-custom",
          KEYS.custom,
          "x-byok-custom-base-url",
          fake.customBaseUrl,
          "x-byok-custom-base-url",
          "http://127.0.0.1:9/v1",
        ],
      });
      request.on("error", reject);
      request.on("response", (answer) => {
        let body = "";
        answer.setEncoding("utf8");
        answer.on("data", (text: string) => {
          body += text;
        });
        answer.on("end", () => resolve({ status: answer.statusCode ?? 0, body }));
      });
      request.end();
    });
    assert.equal(response.status, 200, response.body);
    const custom = (
      JSON.parse(response.body) as { results: { custom?: { status: string; egressReason: string } } }
    ).results.custom;
    assert.equal(custom?.status, "invalid");
    assert.equal(custom?.egressReason, "url_invalid");
    assert.equal(fake.requests.length, from, "the key was sent nowhere");
  });

  test("a malformed key is invalid without a call; no keys at all is 400", async () => {
    const token = await newUser();
    const long = resultsOf(await verify(token, { "x-byok-openai": "k".repeat(5000) })).openai;
    assert.equal(long?.status, "invalid");
    assert.match(long!.message!, /malformed/);
    const none = await verify(token, {});
    assert.equal(none.status, 400);
    assert.equal(errorOf(none).type, "invalid_request");
  });

  test("is rate-limited per user: 429 rate_limited with Retry-After", async () => {
    const token = await newUser();
    const other = await newUser();
    for (let index = 0; index < 5; index++) {
      assert.equal((await verify(token, headersFor(["openai"]))).status, 200);
    }
    const refused = await verify(token, headersFor(["openai"]));
    assert.equal(refused.status, 429);
    assert.equal(errorOf(refused).type, "rate_limited");
    assert.equal(errorOf(refused).code, "verify_requests_per_minute");
    assert.match(refused.headers.get("retry-after") ?? "", /^\d+$/);
    assert.equal((await verify(other, headersFor(["openai"]))).status, 200, "another user is not limited");
  });
});

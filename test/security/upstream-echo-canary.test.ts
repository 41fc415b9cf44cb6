/** @module test/security/upstream-echo-canary
 * SPEC §9: a user key that the upstream echoes in its error, whole or masked, never reaches the client's
 * error body, a log line or GET /metrics; request bodies are not logged. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { call, type JsonResponse } from "../support/gateway-client.ts";
import { type GatewayUser, type ModelGateway, startModelGateway } from "../support/model-gateway.ts";

/** Distinctive everywhere: its head, its middle and its tail each appear nowhere else. */
const CANARY = "sk-proj-CANARYq7Xv3Lw9Pk2Rm5Tn8Yb4Hd6Jf1Gs0Zc4UpXQZXW";
const GEMINI_CANARY = "AIzaCANARYg9Fh2Jk4Lm6Np8Qr0St3Vw5Yz7BcDQZXG";
const CUSTOM_CANARY = "custom-CANARY-e5Rt8Yu1Io4Pa7Sd0Fg3HjQZXV";
/** Pieces that would betray any form of the keys: no test input other than the keys contains them. */
const FRAGMENTS = ["CANARY", "QZXW", "QZXG", "QZXV", "q7Xv3Lw9", "g9Fh2Jk4", "e5Rt8Yu1"];

/** OpenAI's masked forms: `sk-abc...wxyz` and `sk-proj-****…wxyz`. */
function maskedForms(key: string): string[] {
  return [
    `${key.slice(0, 6)}...${key.slice(-4)}`,
    `${key.slice(0, 8)}${"*".repeat(key.length - 12)}${key.slice(-4)}`,
    `${key.slice(0, 3)}...${key.slice(-4)}`,
  ];
}

const ECHOES: ReadonlyArray<{ readonly name: string; readonly message: string; readonly code?: string }> = [
  {
    name: "the whole key",
    message: "Incorrect API key provided: {{key}}. You can find your API key at https://platform.openai.com.",
  },
  ...maskedForms(CANARY).map((masked) => ({
    name: `the masked key ${masked.slice(0, 12)}…`,
    message: `Incorrect API key provided: ${masked}. You can find your API key at https://platform.openai.com.`,
  })),
  { name: "the key in the error code", message: "invalid key", code: "{{key}}" },
  { name: "the key in quotes and parentheses", message: `Key "{{key}}" (from header) is revoked.` },
];

function assertClean(where: string, text: string, keys: readonly string[] = [CANARY]): void {
  for (const key of keys) {
    assert.ok(!text.includes(key), `${where} contains a whole key: ${text.slice(0, 400)}`);
    for (const masked of maskedForms(key))
      assert.ok(!text.includes(masked), `${where} contains a masked key: ${text.slice(0, 400)}`);
  }
  for (const fragment of FRAGMENTS)
    assert.ok(!text.includes(fragment), `${where} contains "${fragment}": ${text.slice(0, 400)}`);
}

describe("a canary key echoed by the upstream", () => {
  let env: ModelGateway;
  let user: GatewayUser;
  const responses: JsonResponse[] = [];

  before(async () => {
    env = await startModelGateway();
    user = await env.user({ openai: CANARY, gemini: GEMINI_CANARY });
  });
  after(() => env.close());

  const chat = async (
    body: Record<string, unknown>,
    as: { token: string; headers: Record<string, string> } = user,
  ): Promise<JsonResponse> => {
    const response = await call(env.gateway, "POST", "/v1/chat/completions", {
      token: as.token,
      headers: as.headers,
      body: { messages: [{ role: "user", content: "hi" }], ...body },
    });
    responses.push(response);
    return response;
  };

  /** The upstream answered with `status` and the key echoed; the gateway reported it with the key removed. */
  const expectRedacted = async (status: number, echo: (typeof ECHOES)[number], stream = false) => {
    const before = env.fakes.openai.requests.length;
    const code = echo.code?.replaceAll("{{key}}", CANARY);
    env.fakes.openai.failNext(
      status,
      code === undefined ? { message: echo.message } : { message: echo.message, code },
    );
    const response = await chat({ model: "summary", stream });
    assert.equal(env.fakes.openai.requests.length - before, 1);
    assert.equal(
      env.fakes.openai.requests[before]?.headers.authorization,
      `Bearer ${CANARY}`,
      "the canary was sent",
    );
    assert.equal(response.status, status >= 500 ? 502 : status, response.text);
    assertClean("the error body", response.text);
    assertClean("the response headers", [...response.headers].join("\n"));
    return response;
  };

  for (const echo of ECHOES) {
    test(`401 echoing ${echo.name}: redacted in the body`, async () => {
      const response = await expectRedacted(401, echo);
      // A key in the code is not redacted but replaced: only known provider codes pass (issue 12).
      if (echo.code === undefined) assert.match(response.text, /redacted/);
      else assert.equal((response.body as { error: { code: string } }).error.code, "provider_error");
    });
  }

  test("a streamed request rejected upstream: redacted", async () => {
    await expectRedacted(401, ECHOES[0]!, true);
  });

  test("a 500 echoing the key (logged as an error): redacted", async () => {
    await expectRedacted(500, ECHOES[0]!);
  });

  test("a 429 echoing the masked key: redacted", async () => {
    await expectRedacted(429, ECHOES[1]!);
  });

  test("Google's error array echoing the Gemini key: redacted", async () => {
    env.fakes.gemini.respondNext((request, response) => {
      const key = request.headers.authorization?.replace(/^Bearer /, "") ?? "";
      const body = JSON.stringify([
        {
          error: {
            code: 400,
            message: `API key not valid: ${key} (${key.slice(0, 6)}...${key.slice(-4)}). Please pass a valid API key.`,
            status: "INVALID_ARGUMENT",
          },
        },
      ]);
      response.writeHead(400, { "content-type": "application/json" });
      response.end(body);
    });
    const response = await chat({ model: "gemini/gemini-2.5-flash" });
    assert.equal(response.status, 400, response.text);
    assert.match(response.text, /API key not valid/);
    assertClean("the error body", response.text, [GEMINI_CANARY]);
  });

  test("the custom endpoint echoing the user's custom key: redacted", async () => {
    const customUser = await env.user(
      { custom: CUSTOM_CANARY },
      { baseUrl: env.fakes.custom.baseUrl, model: "my-model" },
    );
    env.fakes.custom.failNext(401, { message: "Unauthorized: bad key {{key}}" });
    const response = await chat({ model: "custom/my-model" }, customUser);
    assert.equal(response.status, 401, response.text);
    assert.equal(env.fakes.custom.requests.at(-1)?.headers.authorization, `Bearer ${CUSTOM_CANARY}`);
    assertClean("the error body", response.text, [CUSTOM_CANARY]);
  });

  test("the custom endpoint echoing the custom key abbreviated (LiteLLM's `abc...wxyz`): redacted", async () => {
    const customUser = await env.user(
      { custom: CUSTOM_CANARY },
      { baseUrl: env.fakes.custom.baseUrl, model: "my-model" },
    );
    env.fakes.custom.respondNext((request, response) => {
      const key = request.headers.authorization?.replace(/^Bearer /, "") ?? "";
      const abbreviated = `${key.slice(0, 3)}...${key.slice(-4)}`;
      const body = JSON.stringify({
        error: { message: `Authentication Error, Received API Key = ${abbreviated}`, type: "auth_error" },
      });
      response.writeHead(401, { "content-type": "application/json" });
      response.end(body);
    });
    const response = await chat({ model: "custom/my-model" }, customUser);
    assert.equal(response.status, 401, response.text);
    assert.match(response.text, /Authentication Error/);
    assertClean("the error body", response.text, [CUSTOM_CANARY]);
  });

  test("a non-JSON error page echoing the key: not relayed", async () => {
    env.fakes.openai.respondNext((request, response) => {
      response.writeHead(401, { "content-type": "text/html" });
      response.end(`<html><body>bad key ${request.headers.authorization}</body></html>`);
    });
    const response = await chat({ model: "summary" });
    assert.equal(response.status, 401, response.text);
    assertClean("the error body", response.text);
  });

  test("request bodies are not logged, keys in them included", async () => {
    const marker = "body-marker-Wm3Kd8Hs";
    const response = await chat({
      model: "summary",
      messages: [{ role: "user", content: `${marker} my key is ${CANARY}` }],
      user: CANARY,
      metadata: { api_key: CANARY },
    });
    assert.equal(response.status, 200, response.text);
    const embeddings = await call(env.gateway, "POST", "/v1/embeddings", {
      token: user.token,
      headers: user.headers,
      body: { model: "embed", input: [`${marker} ${CANARY}`] },
    });
    assert.equal(embeddings.status, 200, embeddings.text);
    await env.gateway.waitForLog('"operation":"embeddings"');
    const logText = env.gateway.logs.join("");
    assert.ok(logText.includes('"operation":"chat"'), "the served calls were logged");
    assert.ok(!logText.includes(marker), "a request body was logged");
    assertClean("the logs", logText, [CANARY, GEMINI_CANARY, CUSTOM_CANARY]);
  });

  test("no log line and no metric carries any form of the keys, after everything above", async () => {
    assert.ok(responses.length >= ECHOES.length + 5, "the echo tests ran first");
    const logText = env.gateway.logs.join("");
    assert.ok(logText.includes("request refused"), "rejected calls were logged");
    assert.ok(logText.includes("upstream_rejected"), "the rejection type was logged");
    assert.ok(logText.includes('"level":50'), "the 502 was logged as an error");
    assertClean("the logs", logText, [CANARY, GEMINI_CANARY, CUSTOM_CANARY]);

    const metrics = await call(env.gateway, "GET", "/metrics");
    assert.equal(metrics.status, 200);
    assert.match(metrics.text, /byok_/);
    assertClean("GET /metrics", metrics.text, [CANARY, GEMINI_CANARY, CUSTOM_CANARY]);
  });
});

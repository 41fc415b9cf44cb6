/**
 * @module test/gateway/operator-key-pool-drain
 * One user's request-caused refusals cannot empty an operator key pool for everyone: a 403 (moderation) is
 * the request's answer and leaves the pool alone, a 429 or 401 walks at most one other key, and the pool's
 * last key never sits out, so another user's ordinary request is still served (review finding H1).
 */
import assert from "node:assert/strict";
import type http from "node:http";
import { after, before, test } from "node:test";
import {
  type FakeProvider,
  type RecordedRequest,
  startFakeOpenAiProvider,
} from "../peers/fake-openai-provider.ts";
import { addUser, call, type JsonResponse } from "../support/gateway-client.ts";
import { startGateway, type TestGateway } from "../support/start-gateway.ts";

let fake: FakeProvider;
let gateway: TestGateway;
/** The status a flagged request gets from the provider; the last six characters of each key sent. */
let flaggedStatus = 403;
const keysSeen: string[] = [];

const completion = {
  id: "x",
  object: "chat.completion",
  created: 1,
  model: "gpt-4.1-mini",
  choices: [
    {
      index: 0,
      message: { role: "assistant", content: "ok", refusal: null },
      logprobs: null,
      finish_reason: "stop",
    },
  ],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
};

function answer(request: RecordedRequest, res: http.ServerResponse): void {
  fake.respondNext(answer);
  keysSeen.push(String(request.headers.authorization ?? "").slice(-6));
  const flagged = JSON.stringify(request.body ?? "").includes("FLAGGED");
  res.writeHead(flagged ? flaggedStatus : 200, { "content-type": "application/json" });
  res.end(
    JSON.stringify(
      flagged ? { error: { message: "refused", type: "error", code: flaggedStatus } } : completion,
    ),
  );
}

before(async () => {
  fake = await startFakeOpenAiProvider();
  fake.respondNext(answer);
  gateway = await startGateway({
    config: {
      providers: {
        openai: {
          baseUrl: fake.baseUrl,
          apiKeys: [
            { apiKey: "sk-op-key-aaaaaa111111" },
            { apiKey: "sk-op-key-bbbbbb222222" },
            { apiKey: "sk-op-key-cccccc333333" },
          ],
        },
      },
      features: { chat: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }], operatorFallback: true } },
    },
  });
});
after(async () => {
  await gateway?.close();
  await fake?.close();
});

const chat = (token: string, content: string): Promise<JsonResponse> =>
  call(gateway, "POST", "/v1/chat/completions", {
    token,
    body: { model: "chat", messages: [{ role: "user", content }] },
  });

async function availableKeys(): Promise<number> {
  const metrics = (await call(gateway, "GET", "/metrics")).text;
  const line = metrics
    .split("\n")
    .find((l) => l.startsWith("byok_operator_keys{") && l.includes('state="available"'));
  assert.ok(line !== undefined, "the pool gauge is exported");
  return Number(line.split(" ").at(-1));
}

test("a 403 is the request's answer: one attempt, the pool untouched, another user served", async () => {
  flaggedStatus = 403;
  const [attacker, victim] = [await addUser(gateway, "attacker-403"), await addUser(gateway, "victim-403")];
  const before = keysSeen.length;
  const bad = await chat(attacker, "FLAGGED");
  assert.notEqual(bad.status, 200, "the refusal is final (an operator key's 403 maps as before)");
  assert.equal(keysSeen.length - before, 1, "no other key tried");
  assert.equal(await availableKeys(), 3);
  assert.equal((await chat(victim, "hello")).status, 200);
});

test("429s and 401s walk at most one other key and never the last one; other users are still served", async () => {
  const victim = await addUser(gateway, "victim-pool");
  for (const status of [429, 401, 429, 401]) {
    flaggedStatus = status;
    const attacker = await addUser(gateway, `attacker-${status}-${keysSeen.length}`);
    const before = keysSeen.length;
    const bad = await chat(attacker, "FLAGGED");
    assert.notEqual(bad.status, 200);
    assert.ok(keysSeen.length - before <= 2, "one request tries at most two keys");
    assert.ok((await availableKeys()) >= 1, "the pool gauge never shows every key out");
    const good = await chat(victim, "hello");
    assert.equal(good.status, 200, `victim served after a ${status}`);
  }
  assert.equal(await availableKeys(), 1, "the last key stays in");
});

/**
 * @module test/gateway/fallback-rate-limit
 * A request that is retried or falls back takes one requests-per-minute hit, whatever its number of
 * attempts: through the real gateway against a loopback fake that fails on command.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { failWithStatus } from "../peers/failing-upstream.ts";
import { startFakeOpenAiProvider } from "../peers/fake-openai-provider.ts";
import { addUser, call } from "../support/gateway-client.ts";
import { startGateway } from "../support/start-gateway.ts";

const closers: Array<() => Promise<void>> = [];
after(async () => {
  for (const close of closers) await close();
});

test("requestsPerMinute 2: a request retried after a 503 uses one hit, so the second request is served", async () => {
  const fake = await startFakeOpenAiProvider();
  const gateway = await startGateway({
    config: {
      providers: { openai: { baseUrl: fake.baseUrl, apiKey: "sk-op-ratelimit-fallback-00000" } },
      rateLimits: { requestsPerMinute: 2 },
      routing: { retry: { baseDelayMs: 1, maxDelayMs: 2 } },
      features: {
        chat: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }], operatorFallback: true },
      },
    },
  });
  closers.push(
    () => gateway.close(),
    () => fake.close(),
  );
  const token = await addUser(gateway, "rpm-user");
  const chat = () =>
    call(gateway, "POST", "/v1/chat/completions", {
      token,
      body: { model: "chat", messages: [{ role: "user", content: "hi" }] },
    });
  fake.respondNext(failWithStatus(503));
  const first = await chat();
  assert.equal(first.status, 200);
  assert.equal(fake.requests.length, 2, "the 503 was retried on the same route");
  const second = await chat();
  assert.equal(second.status, 200, "two requests with a limit of 2");
  const third = await chat();
  assert.equal(third.status, 429, "the third request is over the limit");
});

/**
 * @module test/gateway/breaker-user-caused
 * Failures one user's requests provoke never open the shared breaker for everyone (review finding M2): five
 * 500s on one user's own key, or five non-streamed generations past the headers time-out on the operator's
 * key, leave the other users served on the first attempt; the failed requests still got their answers.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { failWithStatus, stallBeforeHeaders } from "../peers/failing-upstream.ts";
import { startFakeOpenAiProvider } from "../peers/fake-openai-provider.ts";
import { addUser, call, enroll } from "../support/gateway-client.ts";
import { startGateway, type TestGateway } from "../support/start-gateway.ts";

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const close of closers) await close();
});

const chat = (gateway: TestGateway, token: string, headers: Record<string, string> = {}) =>
  call(gateway, "POST", "/v1/chat/completions", {
    token,
    headers,
    body: { model: "chat", messages: [{ role: "user", content: "hi" }] },
  });

test("500s on one user's own key do not open the BYOK breaker for another user", async () => {
  const fake = await startFakeOpenAiProvider();
  const gateway = await startGateway({
    config: {
      providers: { openai: { baseUrl: fake.baseUrl } },
      routing: { retry: { maxRetries: 0 } },
      features: { chat: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }] } },
    } as never,
  });
  closers.push(
    () => gateway.close(),
    () => fake.close(),
  );
  const [a, b] = [await addUser(gateway, "a"), await addUser(gateway, "b")];
  const keyA = "sk-user-a-aaaaaaaaaaaaaaaaaaaa";
  const keyB = "sk-user-b-bbbbbbbbbbbbbbbbbbbb";
  await enroll(gateway, a, { openai: keyA });
  await enroll(gateway, b, { openai: keyB });
  for (let index = 0; index < 6; index++) {
    fake.respondNext(failWithStatus(500));
    assert.equal((await chat(gateway, a, { "x-byok-openai": keyA })).status >= 500, true);
  }
  const before = fake.requests.length;
  const served = await chat(gateway, b, { "x-byok-openai": keyB });
  assert.equal(served.status, 200, served.text);
  assert.equal(fake.requests.length - before, 1, "sent upstream, not skipped as circuit_open");
});

test("non-streamed generations past the headers time-out do not open the operator breaker", async () => {
  const fake = await startFakeOpenAiProvider();
  const gateway = await startGateway({
    config: {
      providers: {
        openai: { baseUrl: fake.baseUrl, apiKey: "sk-op-bbbbbbbbbbbbbbbb", timeouts: { headersMs: 200 } },
      },
      features: { chat: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }], operatorFallback: true } },
    } as never,
  });
  closers.push(
    () => gateway.close(),
    () => fake.close(),
  );
  const [attacker, victim] = [await addUser(gateway, "attacker"), await addUser(gateway, "victim")];
  for (let index = 0; index < 6; index++) fake.respondNext(stallBeforeHeaders);
  const stalled = await Promise.all(Array.from({ length: 6 }, () => chat(gateway, attacker)));
  assert.equal(
    stalled.every((response) => response.status >= 500),
    true,
  );
  const served = await chat(gateway, victim);
  assert.equal(served.status, 200, served.text);
  assert.doesNotMatch(served.headers.get("x-byok-route") ?? "", /circuit_open/);
});

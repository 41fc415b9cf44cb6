/**
 * @module test/gateway/circuit-breaker
 * End to end, a breaker over real HTTP: an operator route whose loopback upstream answers 503 falls back to
 * the next route until its breaker opens; then the route is skipped (the failing upstream sees no more
 * requests, `X-BYOK-Route` lists it as `circuit_open`); after `openMs` on the gateway's injected clock one
 * probe goes, the upstream answers, and the breaker closes. Needs the attempt loop (issue #17, part A).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type FakeProvider, startFakeOpenAiProvider } from "../peers/fake-openai-provider.ts";
import { addUser, call, type JsonResponse } from "../support/gateway-client.ts";
import { ADMIN_TOKEN, startGateway, type TestGateway } from "../support/start-gateway.ts";
import { type StubServer, startStubServer } from "../support/stub-server.ts";

const OPEN_MS = 30_000;
const UPSTREAM = "openai|operator";
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
let gateway: TestGateway;
let failing: StubServer;
let backup: FakeProvider;
let token: string;

/** What the failing upstream answers once it is back: a minimal, conforming chat completion. */
const completion = (model: string) => ({
  id: "chatcmpl-probe",
  object: "chat.completion",
  created: 1_700_000_000,
  model,
  choices: [
    {
      index: 0,
      message: { role: "assistant", content: "back", refusal: null },
      logprobs: null,
      finish_reason: "stop",
    },
  ],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
});

before(async () => {
  failing = await startStubServer();
  failing.answer(() => ({ status: 503, body: { error: { message: "overloaded", type: "server_error" } } }));
  backup = await startFakeOpenAiProvider({ prefix: "/api/v1" });
  gateway = await startGateway({
    config: {
      providers: {
        openai: { baseUrl: `${failing.url}/v1`, apiKey: "sk-operator-openai-breaker-000000000" },
        openrouter: { baseUrl: backup.baseUrl, apiKey: "sk-or-operator-breaker-0000000000000" },
      },
      features: {
        notes: {
          routes: [
            { provider: "openai", model: "gpt-4.1-mini" },
            { provider: "openrouter", model: "openai/gpt-4.1-mini" },
          ],
          operatorFallback: true,
        },
      },
      resilience: { breakers: { failureThreshold: 2, openMs: OPEN_MS, halfOpenProbes: 1 } },
    },
  });
  token = await addUser(gateway, "breaker-user");
});
after(async () => {
  await gateway.close();
  await failing.close();
  await backup.close();
});

const ask = (): Promise<JsonResponse> =>
  call(gateway, "POST", "/v1/chat/completions", {
    token,
    body: { model: "notes", messages: [{ role: "user", content: "hello" }] },
  });

async function breakerState(): Promise<string> {
  const listed = await call(gateway, "GET", "/admin/breakers", { headers: admin });
  assert.equal(listed.status, 200);
  const breakers = (listed.body as { data: { upstream: string; state: string }[] }).data;
  return breakers.find((breaker) => breaker.upstream === UPSTREAM)?.state ?? "closed";
}

test("a failing upstream's breaker opens, its route is skipped, and a probe after openMs closes it", async () => {
  // Each request is served by the next route while the first fails (retries may add attempts).
  for (let request = 0; request < 4 && (await breakerState()) !== "open"; request++) {
    const answer = await ask();
    assert.equal(answer.status, 200, answer.text);
    assert.match(answer.headers.get("x-byok-route") ?? "", /openrouter\/openai\/gpt-4\.1-mini/);
  }
  assert.equal(await breakerState(), "open", "the breaker opened after the threshold");

  const seen = failing.requests.length;
  const skipped = await ask();
  assert.equal(skipped.status, 200, skipped.text);
  assert.match(skipped.headers.get("x-byok-route") ?? "", /circuit_open/);
  assert.equal(failing.requests.length, seen, "an open breaker sends nothing to its upstream");

  failing.answer(() => ({ status: 200, body: completion("gpt-4.1-mini") }));
  gateway.clock.advance(OPEN_MS);
  const probed = await ask();
  assert.equal(probed.status, 200, probed.text);
  assert.match(probed.headers.get("x-byok-route") ?? "", /^openai\/gpt-4\.1-mini/);
  assert.equal(failing.requests.length, seen + 1, "one probe");
  assert.equal(await breakerState(), "closed");
  const metrics = await call(gateway, "GET", "/metrics");
  assert.match(
    metrics.text,
    /byok_circuit_breaker_transitions_total\{upstream="openai\|operator",to="closed"\} 1/,
  );
});

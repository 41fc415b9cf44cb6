/**
 * @module test/telemetry/absurd-usage
 * A user's endpoint reporting absurd usage (`1e308`, past 2^53, fractional) through a real gateway: /metrics
 * keeps answering 200 and the call is recorded, the unbelievable count read as unreported (0).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { call } from "../support/gateway-client.ts";
import { type ModelGateway, startModelGateway } from "../support/model-gateway.ts";

const KEY = "sk-custom-user-key-absurd-usage-1111";
const HEAD = '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m"';

let env: ModelGateway;
before(async () => {
  env = await startModelGateway();
});
after(() => env.close());

/** A stream of one text chunk and a usage chunk with the given counts (raw JSON numbers). */
function respondStream(prompt: string, completion: string): void {
  env.fakes.custom.respondNext((_request, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.end(
      `data: ${HEAD},"choices":[{"index":0,"delta":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}\n\n` +
        `data: ${HEAD},"choices":[],"usage":{"prompt_tokens":${prompt},"completion_tokens":${completion}}}\n\n` +
        "data: [DONE]\n\n",
    );
  });
}

test("absurd usage from a user's endpoint: /metrics stays 200 and the calls are recorded with the counts as unreported", async () => {
  const user = await env.user({ custom: KEY }, { baseUrl: env.fakes.custom.baseUrl, model: "m" });
  const streams: Array<[string, string]> = [
    ["1e308", "3"],
    ["1e308", "4"],
    ["9007199254740993", "2.5"],
  ];
  for (const [prompt, completion] of streams) {
    respondStream(prompt, completion);
    const served = env.gateway.waitForLog(`"served":{"userId":"${user.id}"`);
    const stream = await user.openai.chat.completions.create({
      model: "agent",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "x" }],
    });
    let usage: unknown = null;
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
    // The client gets the upstream's usage chunk as sent: the gateway only declines to meter it.
    assert.equal((usage as { prompt_tokens: number }).prompt_tokens, Number(prompt));
    await served;
    env.gateway.logs.length = 0;
  }
  env.fakes.custom.respondNext((_request, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      '{"id":"w","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":' +
        '{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1e308,' +
        '"completion_tokens":-5}}',
    );
  });
  const served = env.gateway.waitForLog(`"served":{"userId":"${user.id}"`);
  const whole = await user.openai.chat.completions.create({
    model: "agent",
    messages: [{ role: "user", content: "x" }],
  });
  assert.equal(whole.usage?.prompt_tokens, 1e308);
  await served;

  for (let scrape = 0; scrape < 2; scrape++) {
    const metrics = await call(env.gateway, "GET", "/metrics");
    assert.equal(metrics.status, 200, metrics.text.slice(0, 200));
    const tokens = metrics.text.split("\n").filter((line) => line.startsWith("byok_tokens_total{"));
    for (const line of tokens) assert.ok(Number.isFinite(Number(line.split(" ").at(-1))), line);
    const custom = (direction: string) =>
      tokens.find((line) => line.includes('provider="custom"') && line.includes(`direction="${direction}"`));
    assert.equal(custom("input"), undefined, "no believable input count was reported");
    assert.match(custom("output") ?? "", / 7$/, "3 + 4 output tokens; 2.5 and -5 read as unreported");
  }

  const report = await call(env.gateway, "GET", "/v1/usage", { token: user.token });
  assert.equal(report.status, 200);
  const byok = (report.body as { usage: { byok: Record<string, number> } }).usage.byok;
  assert.equal(byok.requests, 4, "every call is recorded");
  assert.equal(byok.input_tokens, 0);
  assert.equal(byok.output_tokens, 7);
});

/**
 * @module test/telemetry/absurd-usage
 * Absurd usage (`1e308`, past 2^53, fractional, negative) through a real gateway: /metrics keeps answering 200,
 * every call is recorded, a huge count charged as the cap (never as nothing: an operator-served call is not
 * made free that way), a fraction floored, a negative count read as absent.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { MAX_USAGE_TOKENS } from "../../src/wire/read-usage-count.ts";
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

test("absurd usage from a user's endpoint: /metrics stays 200 and the calls are recorded, a huge count as the cap", async () => {
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
    // The client gets the upstream's usage chunk as sent: the gateway meters it within the cap.
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
    assert.match(
      custom("input") ?? "",
      new RegExp(` ${4 * MAX_USAGE_TOKENS}$`),
      "four huge counts, each the cap",
    );
    assert.match(custom("output") ?? "", / 9$/, "3 + 4 + 2 (2.5 floored) output tokens; -5 read as absent");
  }

  const report = await call(env.gateway, "GET", "/v1/usage", { token: user.token });
  assert.equal(report.status, 200);
  const byok = (report.body as { usage: { byok: Record<string, number> } }).usage.byok;
  assert.equal(byok.requests, 4, "every call is recorded");
  assert.equal(byok.input_tokens, 4 * MAX_USAGE_TOKENS);
  assert.equal(byok.output_tokens, 9);
});

/** A whole operator-served answer of the `summary` route with the given `usage` JSON. */
async function operatorCall(usage: string): Promise<{ input_tokens: number; output_tokens: number }> {
  const user = await env.user();
  env.fakes.openai.respondNext((_request, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      '{"id":"w","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":' +
        `{"role":"assistant","content":"hello"},"finish_reason":"stop"}],"usage":${usage}}`,
    );
  });
  const served = env.gateway.waitForLog(`"served":{"userId":"${user.id}"`);
  await user.openai.chat.completions.create({ model: "summary", messages: [{ role: "user", content: "x" }] });
  await served;
  const report = await call(env.gateway, "GET", "/v1/usage", { token: user.token });
  assert.equal(report.status, 200);
  return (report.body as { usage: { operator: { input_tokens: number; output_tokens: number } } }).usage
    .operator;
}

test("an operator-served call reporting huge usage is charged the cap, not nothing; a fraction is floored", async () => {
  const huge = await operatorCall('{"prompt_tokens":2000000000,"completion_tokens":1e308}');
  assert.equal(huge.input_tokens, MAX_USAGE_TOKENS);
  assert.equal(huge.output_tokens, MAX_USAGE_TOKENS);
  const fractional = await operatorCall('{"prompt_tokens":1000.5,"completion_tokens":2400.5}');
  assert.equal(fractional.input_tokens, 1000);
  assert.equal(fractional.output_tokens, 2400);
});

/**
 * @module test/gateway/fallback-mixed-dialects
 * A plan that mixes dialects: Anthropic first, an OpenAI-compatible route next. With the official Anthropic
 * SDK (`/v1/messages`) and the openai SDK (`/v1/chat/completions`), an overloaded or failing Anthropic moves
 * the request to OpenAI, each attempt built in its own route's dialect, each key only at its provider.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { failWithStatus } from "../peers/failing-upstream.ts";
import {
  ANTHROPIC_USER_KEY,
  type AnthropicGateway,
  CLAUDE_MODEL,
  OPENAI_USER_KEY,
  startAnthropicGateway,
} from "../support/anthropic-gateway.ts";

describe("fallbacks across dialects", () => {
  let env: AnthropicGateway;
  before(async () => {
    env = await startAnthropicGateway({
      features: {
        mixed: {
          routes: [
            { provider: "anthropic", model: CLAUDE_MODEL },
            { provider: "openai", model: "gpt-4.1-mini" },
          ],
          retry: { baseDelayMs: 1, maxDelayMs: 5 },
        },
      },
    });
  });
  after(() => env.close());

  test("messages (Anthropic SDK): 529 overloaded, retried, then served by OpenAI translated", async () => {
    const user = await env.user({ anthropic: ANTHROPIC_USER_KEY, openai: OPENAI_USER_KEY });
    const before = { anthropic: env.anthropic.requests.length, openai: env.fakes.openai.requests.length };
    env.anthropic.respondNext(failWithStatus(529));
    env.anthropic.respondNext(failWithStatus(529));
    const { data, response } = await user.anthropic.messages
      .create({ model: "mixed", max_tokens: 64, messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    assert.equal(data.type, "message");
    assert.equal(data.content[0]?.type, "text");
    assert.equal(
      response.headers.get("x-byok-route"),
      `openai/gpt-4.1-mini; source=byok; failed=anthropic/${CLAUDE_MODEL}@byok:529,anthropic/${CLAUDE_MODEL}@byok:529`,
    );
    const toOpenAi = env.fakes.openai.requests.slice(before.openai);
    assert.equal(toOpenAi.length, 1);
    assert.equal(toOpenAi[0]!.path, "/v1/chat/completions", "the OpenAI attempt speaks OpenAI's dialect");
    const seenByOpenAi = JSON.stringify(toOpenAi[0]!.headers);
    assert.ok(seenByOpenAi.includes(OPENAI_USER_KEY) && !seenByOpenAi.includes(ANTHROPIC_USER_KEY));
    const seenByAnthropic = JSON.stringify(
      env.anthropic.requests.slice(before.anthropic).map((r) => r.headers),
    );
    assert.ok(!seenByAnthropic.includes(OPENAI_USER_KEY));
  });

  test("chat completions (openai SDK): Anthropic's 500 moves to OpenAI passed through", async () => {
    const user = await env.user({ anthropic: ANTHROPIC_USER_KEY, openai: OPENAI_USER_KEY });
    env.anthropic.respondNext(failWithStatus(500));
    const { data, response } = await user.openai.chat.completions
      .create({ model: "mixed", messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    assert.equal(data.choices[0]?.message.content, "Hello from gpt-4.1-mini");
    assert.equal(
      response.headers.get("x-byok-route"),
      `openai/gpt-4.1-mini; source=byok; failed=anthropic/${CLAUDE_MODEL}@byok:500`,
    );
  });
});

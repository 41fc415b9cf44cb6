/**
 * @module test/client/sdk-vercel-ai
 * Tested example: the Vercel AI SDK (`ai` + `@ai-sdk/openai`) wired with the kit's headers or fetch wrapper,
 * against a real gateway and a loopback fake OpenAI; the calls are BYOK-served.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createOpenAI } from "@ai-sdk/openai";
import { embed, generateText, streamText } from "ai";
import { createByokClient } from "../../client/src/create-byok-client.ts";
import { headers } from "../../client/src/headers.ts";
import { type ModelGateway, startModelGateway } from "../support/model-gateway.ts";

const KEYS = { openai: "sk-vercel-example-openai-6666666666" };
let env: ModelGateway;

before(async () => {
  env = await startModelGateway();
});
after(() => env.close());

async function enrolledUser() {
  const { token } = await env.user();
  const byok = createByokClient({ baseUrl: env.gateway.url, token });
  await byok.enroll(KEYS);
  return { token, byok };
}

test("generateText through createOpenAI({ headers: headers(keys) })", async () => {
  const { token } = await enrolledUser();
  const gateway = createOpenAI({ baseURL: `${env.gateway.url}/v1`, apiKey: token, headers: headers(KEYS) });
  const before = env.fakes.openai.requests.length;
  const result = await generateText({ model: gateway.chat("summary"), prompt: "Summarize: the kit works." });
  assert.equal(result.response.headers?.["x-byok-route"], "openai/gpt-4.1-mini; source=byok");
  assert.ok(result.text.length > 0);
  assert.equal(env.fakes.openai.requests.slice(before)[0]!.headers.authorization, `Bearer ${KEYS.openai}`);
});

test("streamText and embed through the kit's fetch wrapper", async () => {
  const { token, byok } = await enrolledUser();
  const gateway = createOpenAI({
    baseURL: `${env.gateway.url}/v1`,
    apiKey: token,
    fetch: (input, init) => byok.fetch(input, init, KEYS),
  });
  const before = env.fakes.openai.requests.length;
  const stream = streamText({ model: gateway.chat("summary"), prompt: "Stream a summary." });
  let text = "";
  for await (const part of stream.textStream) text += part;
  assert.ok(text.length > 0);
  assert.equal((await stream.response).headers?.["x-byok-route"], "openai/gpt-4.1-mini; source=byok");

  const embedded = await embed({ model: gateway.embedding("embed"), value: "one" });
  assert.ok(embedded.embedding.length > 0);
  assert.equal(embedded.response?.headers?.["x-byok-route"], "openai/text-embedding-3-small; source=byok");
  const upstream = env.fakes.openai.requests.slice(before);
  assert.equal(upstream.length, 2);
  for (const request of upstream) assert.equal(request.headers.authorization, `Bearer ${KEYS.openai}`);
});

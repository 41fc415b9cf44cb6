/**
 * @module test/client/sdk-openai
 * Tested example: the official `openai` SDK wired with the kit, by `headers(keys)` as default headers or by the
 * kit's fetch wrapper, against a real gateway and a loopback fake OpenAI; the call is BYOK-served.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import OpenAI from "openai";
import { createByokClient } from "../../client/src/create-byok-client.ts";
import { headers } from "../../client/src/headers.ts";
import { createMemoryKeyStore } from "../../client/src/key-store.ts";
import { type ModelGateway, startModelGateway } from "../support/model-gateway.ts";

const OPENAI_KEY = "sk-sdk-example-openai-5555555555";
let env: ModelGateway;

before(async () => {
  env = await startModelGateway();
});
after(() => env.close());

/** The app's side: a signed-in user whose keys are in a key store and enrolled. */
async function signedInUser() {
  const { token } = await env.user();
  const store = createMemoryKeyStore();
  await store.save({ openai: OPENAI_KEY });
  const byok = createByokClient({ baseUrl: env.gateway.url, token });
  await byok.enroll(await store.load());
  return { token, store, byok };
}

test("openai SDK with defaultHeaders: headers(keys)", async () => {
  const { token, store } = await signedInUser();
  const openai = new OpenAI({
    baseURL: `${env.gateway.url}/v1`,
    apiKey: token,
    defaultHeaders: headers(await store.load()),
    maxRetries: 0,
  });
  const before = env.fakes.openai.requests.length;
  const { data, response } = await openai.chat.completions
    .create({ model: "summary", messages: [{ role: "user", content: "Summarize: the kit works." }] })
    .withResponse();
  assert.equal(response.headers.get("x-byok-route"), "openai/gpt-4.1-mini; source=byok");
  assert.equal(data.object, "chat.completion");
  const upstream = env.fakes.openai.requests.slice(before);
  assert.equal(upstream.length, 1);
  assert.equal(upstream[0]!.headers.authorization, `Bearer ${OPENAI_KEY}`, "served on the user's own key");
});

test("openai SDK with the kit's fetch wrapper (keys read per request)", async () => {
  const { token, store, byok } = await signedInUser();
  const openai = new OpenAI({
    baseURL: `${env.gateway.url}/v1`,
    apiKey: token,
    fetch: async (input, init) => byok.fetch(input, init, await store.load()),
    maxRetries: 0,
  });
  const before = env.fakes.openai.requests.length;
  const { response } = await openai.embeddings
    .create({ model: "embed", input: ["one", "two"] })
    .withResponse();
  assert.equal(response.headers.get("x-byok-route"), "openai/text-embedding-3-small; source=byok");
  assert.equal(env.fakes.openai.requests.slice(before)[0]!.headers.authorization, `Bearer ${OPENAI_KEY}`);

  // Keys cleared from the store: the very next call runs on the operator's key (metered), not the user's.
  await store.clear();
  const { response: operator } = await openai.chat.completions
    .create({ model: "summary", messages: [{ role: "user", content: "hi" }] })
    .withResponse();
  assert.equal(operator.headers.get("x-byok-route"), "openai/gpt-4.1-mini; source=operator");
});

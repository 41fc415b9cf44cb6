/**
 * @module test/gateway/connections.test
 * Named connections through the official `openai` SDK: two OpenAI-compatible backends (chat on one, embeddings
 * on the other) each reached with its own key and headers, Azure OpenAI (deployment path, api-version,
 * `api-key`), a user's OpenAI key never reaching an operator backend, and the capability error naming its setting.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type OpenAI from "openai";
import {
  type FakeProvider,
  type RecordedRequest,
  startFakeOpenAiProvider,
} from "../peers/fake-openai-provider.ts";
import { call, errorOf } from "../support/gateway-client.ts";
import { type ModelGateway, OPERATOR_KEYS, startModelGateway } from "../support/model-gateway.ts";
import {
  assertValidChatCompletion,
  assertValidChatCompletionChunk,
  assertValidEmbeddingResponse,
  assertValidErrorResponse,
} from "../support/openai-schema.ts";

const KEYS = {
  chat: "local-chat-operator-key-000000000001",
  embed: "local-embed-operator-key-00000000002",
  azure: "azure-operator-key-0000000000000003",
  userOpenAi: "sk-user-openai-connections-000000000004",
} as const;
const TENANT = { chat: "tenant-token-chat-0000001", embed: "tenant-token-embed-000002" } as const;
const API_VERSION = "2024-10-21";

const FEATURES = {
  notes: { routes: [{ connection: "local-chat", model: "llama-3.1-8b" }] },
  search: { routes: [{ connection: "local-embed", model: "nomic-embed-text" }] },
  az_chat: { routes: [{ connection: "azure-eu", model: "gpt-4o-mini" }] },
  az_embed: { routes: [{ connection: "azure-eu", model: "text-embedding-3-small" }] },
  // The user's OpenAI key may serve the openai route, never the openai_compatible one listed first.
  mixed: {
    routes: [
      { connection: "local-chat", model: "llama-3.1-8b" },
      { provider: "openai" as const, model: "gpt-4.1-mini" },
    ],
  },
  // The chat connection declares nothing: it is assumed chat-only (no embeddings).
  undeclared: { routes: [{ connection: "local-chat", model: "bge-small" }] },
  custom_only: { allowCustom: true, customCapabilities: ["chat" as const, "streaming" as const] },
};

/** Every header value and the whole body of every request the fake saw, as one text to search. */
const seenBy = (fake: FakeProvider): string =>
  fake.requests.map((request) => JSON.stringify([request.headers, request.body, request.path])).join("\n");

const last = (fake: FakeProvider): RecordedRequest => {
  const request = fake.requests.at(-1);
  assert.ok(request, "the fake received a request");
  return request;
};

describe("named connections", () => {
  let env: ModelGateway;
  let chatFake: FakeProvider;
  let embedFake: FakeProvider;
  let azureFake: FakeProvider;
  let client: OpenAI;

  before(async () => {
    chatFake = await startFakeOpenAiProvider({ prefix: "/v1", streamUsage: false });
    embedFake = await startFakeOpenAiProvider({ prefix: "/api", base64Embeddings: false });
    azureFake = await startFakeOpenAiProvider({
      azure: { apiVersion: API_VERSION, deployments: ["chat-deployment", "embedding-deployment"] },
    });
    env = await startModelGateway({
      features: FEATURES,
      config: {
        connections: {
          "local-chat": {
            kind: "openai_compatible",
            baseUrl: chatFake.baseUrl,
            apiKey: KEYS.chat,
            headers: { "X-Tenant": TENANT.chat },
          },
          "local-embed": {
            kind: "openai_compatible",
            baseUrl: embedFake.baseUrl,
            apiKey: KEYS.embed,
            headers: { "x-tenant": TENANT.embed },
            capabilities: ["embeddings"],
          },
          "azure-eu": {
            kind: "azure",
            baseUrl: azureFake.origin,
            apiKey: KEYS.azure,
            apiVersion: API_VERSION,
            deployments: {
              "gpt-4o-mini": "chat-deployment",
              "text-embedding-3-small": "embedding-deployment",
            },
          },
        },
      },
    });
    const user = await env.user({ openai: KEYS.userOpenAi });
    client = user.openai;
  });
  after(async () => {
    await env.close();
    await Promise.all([chatFake.close(), embedFake.close(), azureFake.close()]);
  });

  test("chat on one OpenAI-compatible connection: its key, its headers, X-BYOK-Route naming it", async () => {
    const { data, response } = await client.chat.completions
      .create({ model: "notes", messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    assertValidChatCompletion(data);
    assert.equal(response.headers.get("x-byok-route"), "local-chat/llama-3.1-8b; source=operator");
    const request = last(chatFake);
    assert.equal(request.path, "/v1/chat/completions");
    assert.equal(request.headers.authorization, `Bearer ${KEYS.chat}`);
    assert.equal(request.headers["x-tenant"], TENANT.chat);
    assert.equal((request.body as { model: string }).model, "llama-3.1-8b");
    // Optional parameters are never added for an OpenAI-compatible server.
    assert.equal((request.body as Record<string, unknown>).stream_options, undefined);
  });

  test("streamed chat on the OpenAI-compatible connection: every chunk validates", async () => {
    const stream = await client.chat.completions.create({
      model: "notes",
      messages: [{ role: "user", content: "chunks:4" }],
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) {
      assertValidChatCompletionChunk(chunk);
      text += chunk.choices[0]?.delta.content ?? "";
    }
    assert.equal(text, "w1 w2 w3 w4");
    assert.equal(last(chatFake).headers["x-tenant"], TENANT.chat);
  });

  test("embeddings on the other connection, with its own key and headers", async () => {
    const before = chatFake.requests.length;
    const { data, response } = await client.embeddings
      .create({ model: "search", input: ["a", "b"], encoding_format: "float" })
      .withResponse();
    assertValidEmbeddingResponse(data);
    assert.equal(data.data.length, 2);
    assert.equal(response.headers.get("x-byok-route"), "local-embed/nomic-embed-text; source=operator");
    const request = last(embedFake);
    assert.equal(request.path, "/api/embeddings");
    assert.equal(request.headers.authorization, `Bearer ${KEYS.embed}`);
    assert.equal(request.headers["x-tenant"], TENANT.embed);
    assert.equal(chatFake.requests.length, before, "the chat connection saw nothing");
  });

  test("Azure chat: the deployment path, api-version and api-key, no bearer", async () => {
    const { data, response } = await client.chat.completions
      .create({ model: "az_chat", messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    assertValidChatCompletion(data);
    assert.equal(response.headers.get("x-byok-route"), "azure-eu/gpt-4o-mini; source=operator");
    const request = last(azureFake);
    assert.equal(
      request.path,
      `/openai/deployments/chat-deployment/chat/completions?api-version=${API_VERSION}`,
    );
    assert.equal(request.headers["api-key"], KEYS.azure);
    assert.equal(request.headers.authorization, undefined);
  });

  test("Azure streamed chat with usage: every chunk validates, usage arrives last", async () => {
    const stream = await client.chat.completions.create({
      model: "az_chat",
      messages: [{ role: "user", content: "chunks:3" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: unknown = null;
    for await (const chunk of stream) {
      assertValidChatCompletionChunk(chunk);
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(text, "w1 w2 w3");
    assert.ok(usage, "the final chunk carries usage");
    assert.match(last(azureFake).path, /^\/openai\/deployments\/chat-deployment\/chat\/completions\?/);
  });

  test("Azure embeddings (base64 by default in the SDK) on the embedding deployment", async () => {
    const { data, response } = await client.embeddings
      .create({ model: "az_embed", input: "hello" })
      .withResponse();
    assertValidEmbeddingResponse(data);
    assert.equal(response.headers.get("x-byok-route"), "azure-eu/text-embedding-3-small; source=operator");
    assert.equal(
      last(azureFake).path,
      `/openai/deployments/embedding-deployment/embeddings?api-version=${API_VERSION}`,
    );
  });

  test("a user's OpenAI key never reaches an openai_compatible or azure connection", async () => {
    const { response } = await client.chat.completions
      .create({ model: "mixed", messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    // The openai_compatible route comes first, but only the openai route may carry the user's key.
    assert.equal(response.headers.get("x-byok-route"), "openai/gpt-4.1-mini; source=byok");
    assert.equal(last(env.fakes.openai).headers.authorization, `Bearer ${KEYS.userOpenAi}`);
    for (const fake of [chatFake, embedFake, azureFake]) {
      assert.ok(fake.requests.length > 0);
      assert.equal(seenBy(fake).includes(KEYS.userOpenAi), false, "the user's key never travelled there");
      assert.equal(seenBy(fake).includes(OPERATOR_KEYS.openai), false, "nor the operator's OpenAI key");
    }
    // Nor does any connection's key or header travel to OpenAI.
    const openaiSeen = seenBy(env.fakes.openai);
    for (const secret of [KEYS.chat, KEYS.embed, KEYS.azure, TENANT.chat, TENANT.embed]) {
      assert.equal(openaiSeen.includes(secret), false);
    }
  });

  test("embeddings on a connection that declares none: the error names the settings that fix it", async () => {
    const response = await call(env.gateway, "POST", "/v1/embeddings", {
      token: (await env.user()).token,
      body: { model: "undeclared", input: "x" },
    });
    assert.equal(response.status, 400);
    assertValidErrorResponse(response.body);
    const error = errorOf(response);
    assert.equal(error.type, "no_route");
    assert.equal(error.param, "model");
    assert.match(error.message, /needs embeddings/);
    assert.match(
      error.message,
      /features\.undeclared\.routes\[0\]\.capabilities or connections\.local-chat\.capabilities/,
    );
  });

  test("the custom endpoint's capability error names the enrollment and customCapabilities", async () => {
    const response = await call(env.gateway, "POST", "/v1/embeddings", {
      token: (await env.user()).token,
      body: { model: "custom_only", input: "x" },
    });
    assert.equal(response.status, 400);
    const { message } = errorOf(response);
    assert.match(message, /custom\.capabilities/);
    assert.match(message, /features\.custom_only\.customCapabilities/);
  });

  test("a connection's key and headers never appear in an error the client sees", async () => {
    chatFake.failNext(400, { message: `bad tenant ${TENANT.chat} with key {{key}}` });
    const response = await call(env.gateway, "POST", "/v1/chat/completions", {
      token: (await env.user()).token,
      body: { model: "notes", messages: [{ role: "user", content: "hi" }] },
    });
    assert.equal(response.status, 400);
    assert.equal(response.text.includes(TENANT.chat), false);
    assert.equal(response.text.includes(KEYS.chat), false);
    assert.equal(
      env.gateway.logs.some((line) => line.includes(KEYS.chat) || line.includes(TENANT.chat)),
      false,
    );
  });
});

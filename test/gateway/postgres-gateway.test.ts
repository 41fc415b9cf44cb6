/**
 * @module test/gateway/postgres-gateway.test
 * A real gateway on PostgreSQL (`storage.postgres`, a random schema): users, enrollment, a BYOK- and an
 * operator-served chat through the official SDK, usage written to the shared tables, /readyz ready.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { call } from "../support/gateway-client.ts";
import { type ModelGateway, startModelGateway } from "../support/model-gateway.ts";
import { createTestSchema, type TestSchema } from "../support/postgres.ts";

let env: ModelGateway;
let schema: TestSchema;

before(async () => {
  schema = await createTestSchema();
  env = await startModelGateway({
    config: { storage: { postgres: { url: schema.url, schema: schema.schema } } },
  });
});
after(async () => {
  await env?.close();
  await schema?.drop();
});

test("a gateway on PostgreSQL serves BYOK and operator chats and writes their usage to the shared tables", async () => {
  assert.equal(env.gateway.byok.store.kind, "postgres");
  const ready = await call(env.gateway, "GET", "/readyz");
  assert.deepEqual([ready.status, ready.body], [200, { status: "ready" }]);

  const byok = await env.user({ openai: "sk-user-openai-postgres-0000000000" });
  const own = await byok.openai.chat.completions.create({
    model: "summary",
    messages: [{ role: "user", content: "hello" }],
  });
  assert.equal(own.object, "chat.completion");
  const operator = await env.user();
  const served = await operator.openai.chat.completions.create({
    model: "summary",
    messages: [{ role: "user", content: "hello" }],
  });
  assert.equal(served.object, "chat.completion");

  await env.gateway.byok.usage.flush();
  const rows = await schema.query<{ user_id: string; source: string }>(
    "SELECT user_id, source FROM usage_records ORDER BY source",
  );
  assert.deepEqual(rows, [
    { user_id: byok.id, source: "byok" },
    { user_id: operator.id, source: "operator" },
  ]);
  const tokens = await schema.query<{ n: number }>("SELECT COUNT(*)::int AS n FROM tokens");
  assert.equal(tokens[0]?.n, 2, "the tokens live in PostgreSQL (as hashes)");
});

/**
 * @module test/security/key-in-request-line
 * A key in play (sent in its X-BYOK-* header) that the same request also carries in its URL path or as a
 * header name reaches neither the answer (the 404 no longer echoes the path; a model id holding a key is
 * refused unechoed) nor the "incoming request" log line (the logged path and header names lose it).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { call } from "../support/gateway-client.ts";
import { type ModelGateway, startModelGateway } from "../support/model-gateway.ts";

/** Lowercase, as Deepgram's 40-hex keys are: a header name keeps it as sent. */
const KEY = "sk-proj-canary0openai1path2q3w4e5r6t7y8zxq41";
let mg: ModelGateway;
let token: string;
let headers: Record<string, string>;

before(async () => {
  mg = await startModelGateway();
  const user = await mg.user({ openai: KEY });
  token = user.token;
  headers = user.headers;
});
after(() => mg.close());

for (const path of [`/v1/models/${KEY}`, `/v1/${KEY}`]) {
  test(`GET ${path.replace(KEY, "<key>")}: neither the answer nor a log line holds the key`, async () => {
    const before = mg.gateway.logs.length;
    const response = await call(mg.gateway, "GET", path, { token, headers });
    assert.ok(!response.text.includes(KEY), `answer echoes the key: ${response.text.slice(0, 200)}`);
    const lines = mg.gateway.logs.slice(before).filter((line) => line.includes(KEY));
    assert.deepEqual(
      lines.map((line) => line.slice(0, 240)),
      [],
    );
  });
}

test("a header named as the key: no log line holds it", async () => {
  const before = mg.gateway.logs.length;
  await call(mg.gateway, "GET", "/v1/models", { token, headers: { ...headers, [KEY]: "1" } });
  const lines = mg.gateway.logs.slice(before).filter((line) => line.includes(KEY));
  assert.deepEqual(
    lines.map((line) => line.slice(0, 400)),
    [],
  );
});

/**
 * @module test/security/log-redaction-edges
 * The request log line's edges: a key also sent in a credential header of another name (`api-key`, as the
 * Azure SDK sends it) or double-encoded in the path is not logged; a malformed path escape is answered in
 * the gateway's own envelope without the path; custom settings and scheme words are not taken for secrets.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { call } from "../support/gateway-client.ts";
import { type ModelGateway, startModelGateway } from "../support/model-gateway.ts";

const KEY = "sk-proj-canary0openai1path2q3w4e5r6t7y8zxq41";
const CUSTOM_KEY = "cstm-CANARYcustomListing-ZXq91";
let mg: ModelGateway;
let token: string;
let headers: Record<string, string>;

before(async () => {
  mg = await startModelGateway();
  const user = await mg.user(
    { openai: KEY, custom: CUSTOM_KEY },
    { baseUrl: mg.fakes.custom.baseUrl, model: "my-model" },
  );
  token = user.token;
  headers = user.headers;
});
after(() => mg.close());

const linesWith = (from: number, needle: string) =>
  mg.gateway.logs
    .slice(from)
    .filter((line) => line.includes(needle))
    .map((l) => l.slice(0, 300));

test("encoded key on a 404 path with one malformed escape after it: not logged", async () => {
  const from = mg.gateway.logs.length;
  const response = await call(mg.gateway, "GET", `/v1/%73${KEY.slice(1)}/%ZZ`, { token, headers });
  assert.ok(!response.text.includes(KEY.slice(1)), "the answer does not echo it either");
  assert.deepEqual(linesWith(from, KEY.slice(1)), []);
});

test("double-encoded key (%2573k-…) on a 404 path: not logged", async () => {
  const from = mg.gateway.logs.length;
  const response = await call(mg.gateway, "GET", `/v1/%2573${KEY.slice(1)}`, { token, headers });
  assert.equal(response.status, 404);
  assert.deepEqual(linesWith(from, KEY.slice(1)), []);
});

test("GET /v1/models/<key>%ZZ (a malformed escape in a route parameter): the documented envelope, no key echoed", async () => {
  const response = await call(mg.gateway, "GET", `/v1/models/${KEY}%ZZ`, { token, headers });
  assert.deepEqual(
    {
      status: response.status,
      echoes: response.text.includes(KEY),
      envelope: typeof (response.body as { error?: unknown })?.error,
    },
    { status: 400, echoes: false, envelope: "object" },
  );
});

test("a key in a credential header the list does not name (Azure SDK's api-key, holding the very key of X-BYOK-OpenAI): not logged", async () => {
  const from = mg.gateway.logs.length;
  await call(mg.gateway, "GET", "/v1/models", {
    token,
    headers: { ...headers, "api-key": KEY },
  });
  assert.deepEqual(linesWith(from, KEY), []);
});

test("X-BYOK-Custom-Model (configuration, not a key) is not redacted from the logged path", async () => {
  const from = mg.gateway.logs.length;
  await call(mg.gateway, "GET", "/v1/models/custom/gpt-4o-mini", {
    token,
    headers: { ...headers, "x-byok-custom-model": "gpt-4o-mini" },
  });
  const urls = mg.gateway.logs.slice(from).flatMap((line) => {
    const parsed = JSON.parse(line) as { req?: { url?: string } };
    return parsed.req?.url === undefined ? [] : [parsed.req.url];
  });
  assert.deepEqual(urls, ["/v1/models/custom/gpt-4o-mini"]);
});

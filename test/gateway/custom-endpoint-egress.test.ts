/**
 * @module test/gateway/custom-endpoint-egress
 * The user's custom endpoint is reached only through the egress guard: a name that rebinds to an
 * internal address after enrollment, or an endpoint that redirects, is refused with a generic message,
 * the reason in the log and the egress metric, and the operator's key is never sent there.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { scriptedResolver } from "../egress/support/scripted-resolver.ts";
import { call, errorOf } from "../support/gateway-client.ts";
import { type ModelGateway, startModelGateway } from "../support/model-gateway.ts";

const CUSTOM_KEY = "sk-custom-user-key-7777777777777777";
const features = {
  agent: { allowCustom: true, routes: [{ provider: "openai" as const, model: "gpt-4.1-mini" }] },
};

function logsWith(env: ModelGateway, text: string): string[] {
  return env.gateway.logs.filter((line) => line.includes(text));
}

describe("a custom endpoint whose name rebinds to an internal address", () => {
  let env: ModelGateway;
  const host = "models.rebind.test";
  // Enrollment sees a public address; every later resolution answers loopback.
  const resolver = scriptedResolver({ [host]: [["93.184.215.14"], ["127.0.0.1"]] });

  before(async () => {
    env = await startModelGateway({
      features,
      egressResolver: resolver.resolve,
      // Plain http for this one name only; loopback stays denied.
      config: { egress: { allowHttpHosts: [host] } },
    });
  });
  after(() => env.close());

  test("is refused at connect time with a generic 403; the reason is logged and counted", async () => {
    const port = new URL(env.fakes.custom.origin).port;
    const user = await env.user({ custom: CUSTOM_KEY }, { baseUrl: `http://${host}:${port}/v1`, model: "m" });
    const before = env.fakes.custom.requests.length;
    const response = await call(env.gateway, "POST", "/v1/chat/completions", {
      token: user.token,
      headers: user.headers,
      body: { model: "agent", messages: [{ role: "user", content: "hi" }] },
    });
    assert.equal(response.status, 403);
    const error = errorOf(response);
    assert.equal(error.type, "custom_endpoint_refused");
    assert.equal(error.message, "The custom endpoint was refused by the gateway's egress policy.");
    assert.equal(error.code, null, "the reason code stays in the log");
    assert.doesNotMatch(response.text, /127\.0\.0\.1|address_denied/);
    assert.equal(response.headers.get("x-byok-route"), "custom/m; source=byok");
    assert.equal(env.fakes.custom.requests.length, before, "nothing reached the internal address");
    assert.ok(resolver.calls(host) >= 2, "the connection resolved the name again and was checked");
    assert.ok(logsWith(env, '"reason":"address_denied"').length > 0, "the reason is logged");
    const metrics = await call(env.gateway, "GET", "/metrics");
    assert.match(metrics.text, /byok_egress_denied_total\{reason="address_denied"\} [1-9]/);
  });
});

describe("a custom endpoint that redirects", () => {
  let env: ModelGateway;
  before(async () => {
    env = await startModelGateway({
      features,
      config: { egress: { allowCidrs: ["127.0.0.1/32"], allowHttpHosts: ["127.0.0.1"] } },
    });
  });
  after(() => env.close());

  test("is refused: the redirect is never followed", async () => {
    const user = await env.user({ custom: CUSTOM_KEY }, { baseUrl: env.fakes.custom.baseUrl, model: "m" });
    env.fakes.custom.respondNext((_request, response) => {
      response.writeHead(307, { location: `${env.fakes.openai.baseUrl}/chat/completions` }).end();
    });
    const openaiBefore = env.fakes.openai.requests.length;
    const response = await call(env.gateway, "POST", "/v1/chat/completions", {
      token: user.token,
      headers: user.headers,
      body: { model: "agent", messages: [{ role: "user", content: "hi" }] },
    });
    assert.equal(response.status, 403);
    assert.equal(errorOf(response).type, "custom_endpoint_refused");
    assert.equal(env.fakes.openai.requests.length, openaiBefore, "the redirect target was never called");
    assert.ok(logsWith(env, '"reason":"redirect_refused"').length > 0);
  });

  test("the operator's key never travels to the custom endpoint", async () => {
    const user = await env.user({ custom: CUSTOM_KEY }, { baseUrl: env.fakes.custom.baseUrl, model: "m" });
    const response = await call(env.gateway, "POST", "/v1/chat/completions", {
      token: user.token,
      headers: user.headers,
      body: { model: "agent", messages: [{ role: "user", content: "hi" }] },
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("x-byok-route"), "custom/m; source=byok");
    const seen = env.fakes.custom.requests.map((request) => request.headers.authorization);
    assert.ok(seen.length > 0);
    for (const authorization of seen) assert.equal(authorization, `Bearer ${CUSTOM_KEY}`);
  });

  test("its pool shows in /metrics under the one `custom` label, never its URL", async () => {
    const metrics = await call(env.gateway, "GET", "/metrics");
    const poolLines = metrics.text.split("\n").filter((line) => line.startsWith("byok_upstream_pool"));
    assert.ok(poolLines.includes('byok_upstream_pools{connection="custom"} 1'), poolLines.join("\n"));
    assert.match(
      metrics.text,
      /^byok_upstream_pool_connections\{connection="custom",state="connected"\} \d+$/m,
    );
    const { host } = new URL(env.fakes.custom.baseUrl);
    for (const line of poolLines) assert.ok(!line.includes(host), line);
  });
});

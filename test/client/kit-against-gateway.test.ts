/**
 * @module test/client/kit-against-gateway
 * The client kit against the real gateway (not a stub): signed in with a settings link, it enrolls, checks
 * keys, previews routes, reads usage and removes keys, and a model call refuses its settings token. Every
 * body the kit sends and every answer it reads is checked against the gateway's own /openapi.json.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createByokClient } from "../../client/src/create-byok-client.ts";
import { type FakeKeyCheckProvider, startFakeKeyCheckProvider } from "../peers/fake-key-check-provider.ts";
import { addUser, call } from "../support/gateway-client.ts";
import { createCheckedFetch, loadOpenApiChecker } from "../support/openapi-checker.ts";
import { ADMIN_TOKEN, startGateway, type TestGateway } from "../support/start-gateway.ts";

const OPENAI_KEY = "sk-kit-gateway-openai-1111111111111111";

describe("the client kit against the gateway", () => {
  let fake: FakeKeyCheckProvider;
  let gateway: TestGateway;
  before(async () => {
    fake = await startFakeKeyCheckProvider();
    gateway = await startGateway({
      config: {
        providers: { openai: { baseUrl: fake.baseUrls.openai } },
        features: {
          notes: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }], operatorFallback: false },
        },
      },
    });
  });
  after(async () => {
    await gateway.close();
    await fake.close();
  });

  test("a settings link's token drives enroll, verify, routes, usage and remove", async () => {
    await addUser(gateway, "kit-user");
    const minted = await call(gateway, "POST", "/admin/settings-links", {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: { userId: "kit-user" },
    });
    const { token } = minted.body as { token: string };
    const checker = await loadOpenApiChecker(gateway.url);
    const client = createByokClient({
      baseUrl: gateway.url,
      token,
      fetch: createCheckedFetch(checker, gateway.url),
    });
    const keys = { openai: OPENAI_KEY };

    const enrolled = await client.enroll(keys);
    assert.equal(enrolled.active, true);
    assert.deepEqual(enrolled.providers, ["openai"]);
    assert.equal((await client.status()).active, true);
    assert.equal((await client.heartbeat()).active, true);

    const verified = await client.verify({
      ...keys,
      custom: "sk-kit-custom-2222222222222222",
      customBaseUrl: "https://localhost/v1",
    });
    assert.equal(verified.results.openai?.status, "valid");
    assert.equal(verified.results.custom?.status, "invalid");
    assert.equal(verified.results.custom?.egressReason, "host_denied");

    const preview = await client.routes(keys);
    assert.deepEqual(preview.features, [
      {
        feature: "notes",
        aliases: [],
        operation: "chat",
        source: "byok",
        provider: "openai",
        model: "gpt-4.1-mini",
        reason: null,
      },
    ]);
    const withoutKeys = await client.routes({});
    assert.equal(withoutKeys.features[0]?.reason, "byok_required");

    const usage = await client.usage(keys);
    assert.equal(usage.user, "kit-user");

    const removed = await client.remove();
    assert.equal(removed.active, false);

    // The kit's fetch wrapper sends the settings token too, and a model call refuses it.
    const refused = await client.fetch(
      `${gateway.url}/v1/chat/completions`,
      { method: "POST", body: "{}" },
      keys,
    );
    assert.equal(refused.status, 401);
    assert.match(await refused.text(), /settings_token_not_accepted/);

    // Each of the kit's calls was checked against the document, its request bodies included.
    assert.deepEqual([...checker.checked].sort(), [
      "DELETE /v1/byok/enrollment",
      "GET /v1/byok/enrollment",
      "GET /v1/byok/routes",
      "GET /v1/usage",
      "POST /v1/byok/heartbeat",
      "POST /v1/byok/verify",
      "PUT /v1/byok/enrollment",
    ]);
  });
});

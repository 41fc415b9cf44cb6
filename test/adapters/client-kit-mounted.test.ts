/**
 * The client kit against an app that mounts the BYOK endpoints (each adapter, at the gateway's own
 * paths): enroll, status, heartbeat, verify, routes, usage and remove work unchanged, with a settings
 * token, and every body sent and answered conforms to the gateway's own /openapi.json.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createByokClient } from "../../client/src/create-byok-client.ts";
import { type FakeKeyCheckProvider, startFakeKeyCheckProvider } from "../peers/fake-key-check-provider.ts";
import { ADAPTERS, startAdapterApp } from "../support/adapter-apps.ts";
import { addUser, call } from "../support/gateway-client.ts";
import { createCheckedFetch, loadOpenApiChecker } from "../support/openapi-checker.ts";
import { ADMIN_TOKEN, startGateway, type TestGateway } from "../support/start-gateway.ts";

const OPENAI_KEY = "sk-kit-mounted-openai-1111111111111111";

describe("the client kit against the mounted endpoints", () => {
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

  // The adapters that mount the endpoints (the two Fastify forms mount them the same way).
  for (const adapter of ADAPTERS.filter((name) => name !== "fastify-hooks")) {
    test(`${adapter}: a settings token drives every endpoint, as against the gateway`, async () => {
      const userId = `kit-${adapter}`;
      await addUser(gateway, userId);
      const minted = await call(gateway, "POST", "/admin/settings-links", {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        body: { userId },
      });
      const { token } = minted.body as { token: string };
      const app = await startAdapterApp(adapter, gateway.byok, "");
      try {
        const checker = await loadOpenApiChecker(gateway.url);
        const client = createByokClient({
          baseUrl: app.url,
          token,
          fetch: createCheckedFetch(checker, app.url),
        });
        const keys = { openai: OPENAI_KEY };

        const enrolled = await client.enroll(keys);
        assert.equal(enrolled.active, true);
        assert.deepEqual(enrolled.providers, ["openai"]);
        assert.equal((await client.status()).active, true);
        assert.equal((await client.heartbeat()).active, true);
        const verified = await client.verify(keys);
        assert.equal(verified.results.openai?.status, "valid");
        const preview = await client.routes(keys);
        assert.equal(preview.features[0]?.source, "byok");
        assert.equal((await client.usage(keys)).user, userId);
        assert.equal((await client.remove()).active, false);

        assert.deepEqual([...checker.checked].sort(), [
          "DELETE /v1/byok/enrollment",
          "GET /v1/byok/enrollment",
          "GET /v1/byok/routes",
          "GET /v1/usage",
          "POST /v1/byok/heartbeat",
          "POST /v1/byok/verify",
          "PUT /v1/byok/enrollment",
        ]);
      } finally {
        await app.close();
      }
    });
  }
});

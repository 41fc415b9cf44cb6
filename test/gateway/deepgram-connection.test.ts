/**
 * @module test/gateway/deepgram-connection.test
 * A named `kind: deepgram` connection serving `/v1/listen`: prerecorded through its base URL and live through
 * its `liveBaseUrl`, each with its own key and extra headers; a user's Deepgram key serves it (same kind).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type FakeDeepgram, startFakeDeepgram } from "../peers/fake-deepgram-provider.ts";
import {
  type ListenGateway,
  type ListenUser,
  openLive,
  startListenGateway,
} from "../support/listen-gateway.ts";
import { pcm16Sine, wav } from "../support/test-audio.ts";

const TIMEOUT = { timeout: 30_000 };
const CONNECTION_KEY = "dg-eu-operator-key-000000000000000001";
const TENANT = "dg-eu-tenant-token-00000001";
const USER_KEY = "dg-user-key-connection-0000000000001";

const userHeaders = (user: ListenUser) => ({ authorization: `Token ${user.token}`, ...user.headers });

describe("a named deepgram connection", () => {
  let env: ListenGateway;
  let eu: FakeDeepgram;

  before(async () => {
    eu = await startFakeDeepgram();
    env = await startListenGateway({
      // The providers.* Deepgram (the default fake) holds no operator key: only the connection can serve.
      operatorKey: false,
      config: {
        connections: {
          "dg-eu": {
            kind: "deepgram",
            baseUrl: eu.origin,
            liveBaseUrl: eu.wsOrigin,
            apiKey: CONNECTION_KEY,
            headers: { "x-dg-tenant": TENANT },
          },
        },
        features: {
          eu_transcription: { routes: [{ connection: "dg-eu", model: "nova-3" }] },
          summary: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }] },
        },
      },
    });
  });
  after(async () => {
    await env.close();
    await eu.close();
  });

  async function transcribe(user: ListenUser) {
    const response = await fetch(`${env.gateway.url}/v1/listen?model=eu_transcription`, {
      method: "POST",
      headers: { ...userHeaders(user), "content-type": "audio/wav" },
      body: wav(pcm16Sine({ seconds: 0.5 }), 16000),
    });
    const text = await response.text();
    return { status: response.status, route: response.headers.get("x-byok-route"), text };
  }

  test("prerecorded on the connection's own key and headers", TIMEOUT, async () => {
    const user = await env.user({});
    const response = await transcribe(user);
    assert.equal(response.status, 200, response.text);
    assert.equal(response.route, "dg-eu/nova-3; source=operator");
    const upstream = eu.rest.at(-1)!;
    assert.equal(upstream.headers.authorization, `Token ${CONNECTION_KEY}`);
    assert.equal(upstream.headers["x-dg-tenant"], TENANT);
    assert.equal(upstream.query.model, "nova-3");
    assert.equal(env.fake.rest.length, 0, "the providers.* Deepgram saw nothing");
    assert.equal(response.text.includes(TENANT), false);
  });

  test("a user's Deepgram key serves a deepgram-kind connection", TIMEOUT, async () => {
    const user = await env.user({ deepgram: USER_KEY });
    const response = await transcribe(user);
    assert.equal(response.status, 200, response.text);
    assert.equal(response.route, "dg-eu/nova-3; source=byok");
    assert.equal(eu.rest.at(-1)!.headers.authorization, `Token ${USER_KEY}`);
  });

  test("live through the connection's liveBaseUrl, with its key and headers", TIMEOUT, async () => {
    const user = await env.user({});
    const connected = eu.nextLiveConnection();
    const live = await openLive(
      env.liveUrl,
      { model: "eu_transcription", encoding: "linear16", sample_rate: "16000" },
      userHeaders(user),
    );
    const upstream = await connected;
    assert.equal(live.upgradeHeaders["x-byok-route"], "dg-eu/nova-3; source=operator");
    assert.equal(upstream.key, CONNECTION_KEY);
    assert.equal(upstream.headers["x-dg-tenant"], TENANT);
    assert.equal(upstream.query.model, "nova-3");
    live.ws.close(1000);
    await live.closed;
  });
});

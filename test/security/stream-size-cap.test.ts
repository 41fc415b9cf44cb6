/**
 * @module test/security/stream-size-cap
 * `upstream.maxResponseBytes` through the real gateway, over HTTP/2 and HTTP/1.1 alike: a stream past it ends
 * with the `response_too_large` error event and is recorded as a failure; an error body past it is not read whole.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { getCACertificates, setDefaultCACertificates } from "node:tls";
import { createThrowawayCa, type ThrowawayCa } from "../egress/support/throwaway-ca.ts";
import { type FloodingUpstream, startFloodingUpstream } from "../peers/flooding-upstream.ts";
import { sseEvents } from "../support/anthropic-gateway.ts";
import { addUser, call } from "../support/gateway-client.ts";
import { startGateway, type TestGateway } from "../support/start-gateway.ts";

const CAP = 256 * 1024;
/** What a flood sends when nothing cuts it. */
const FLOOD = 32 * 1024 * 1024;
/**
 * What may be written past the cap before the cut lands, outside the gateway's heap: over HTTP/2 the stream's
 * flow-control window (undici's 256 KiB) and the server's write buffer; over HTTP/1.1 the kernel's socket
 * buffers on loopback (several MiB), which undici's parser never reads past the cap.
 */
const SLACK = { h2: 1024 * 1024, http1: 12 * 1024 * 1024 } as const;

let ca: ThrowawayCa;
let h2: FloodingUpstream;
let http1: FloodingUpstream;
let gateway: TestGateway;
let users = 0;
const defaultCas = getCACertificates("default");

before(async () => {
  ca = createThrowawayCa();
  // The gateway's trusted calls use Node's default authorities: this process trusts the throwaway one too.
  setDefaultCACertificates([...defaultCas, ca.caCert]);
  h2 = await startFloodingUpstream({ protocol: "h2", tls: ca.issue("localhost"), floodBytes: FLOOD });
  http1 = await startFloodingUpstream({ protocol: "http1", floodBytes: FLOOD });
  gateway = await startGateway({
    config: {
      upstream: { maxResponseBytes: CAP },
      providers: {
        openai: { baseUrl: `${h2.origin}/v1`, apiKey: "sk-operator-openai-0000000000000000", http2: true },
        openrouter: { baseUrl: `${http1.origin}/api/v1`, apiKey: "sk-or-operator-0000000000000000000" },
      },
      features: {
        h2: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }], operatorFallback: true },
        http1: { routes: [{ provider: "openrouter", model: "openai/gpt-4.1-mini" }], operatorFallback: true },
      },
    },
  });
});
after(async () => {
  await gateway.close();
  await Promise.all([h2.close(), http1.close()]);
  setDefaultCACertificates(defaultCas);
  ca.dispose();
});

const PROTOCOLS = [
  { name: "HTTP/2", feature: "h2", upstream: () => h2, slack: SLACK.h2 },
  { name: "HTTP/1.1", feature: "http1", upstream: () => http1, slack: SLACK.http1 },
] as const;

async function newUser(): Promise<{ id: string; token: string }> {
  users += 1;
  const id = `cap-user-${users}`;
  return { id, token: await addUser(gateway, id) };
}

describe("the response size cap through the gateway, whatever the protocol", () => {
  for (const protocol of PROTOCOLS) {
    test(`${protocol.name}: a stream past the cap ends with response_too_large, recorded as a failure`, async () => {
      const upstream = protocol.upstream();
      upstream.mode = "stream";
      const user = await newUser();
      const served = gateway.waitForLog(`"served":{"userId":"${user.id}"`);
      const response = await call(gateway, "POST", "/v1/chat/completions", {
        token: user.token,
        body: { model: protocol.feature, stream: true, messages: [{ role: "user", content: "hi" }] },
      });
      assert.equal(response.status, 200);
      assert.equal(upstream.floods.length > 0, true);
      const flood = upstream.floods.at(-1)!;
      await flood.closed; // the upstream call was ended, not left streaming
      assert.equal(flood.completed, false, "the upstream never got to finish");
      assert.ok(
        flood.written < CAP + protocol.slack,
        `the upstream wrote ${flood.written} bytes before the cut`,
      );
      assert.ok(response.text.length < CAP + 64 * 1024, `${response.text.length} bytes reached the client`);
      const events = sseEvents(response.text.replace(/(^|\n)data: \[DONE\]\n\n/g, "$1"));
      assert.ok(events.length > 10, "the chunks under the cap were relayed");
      const last = events.at(-1)?.data as { error?: { type?: string; code?: string } };
      assert.equal(last.error?.type, "upstream_error", response.text.slice(-300));
      assert.equal(last.error?.code, "response_too_large");
      const line = await served;
      assert.match(line, /"outcome":"upstream_error"/);
      assert.match(line, /"estimated":true/, "a stream cut before usage is charged an estimate");
    });

    test(`${protocol.name}: an error body past the cap is not read whole`, async () => {
      const upstream = protocol.upstream();
      upstream.mode = "error";
      const user = await newUser();
      const before = upstream.floods.length;
      const response = await call(gateway, "POST", "/v1/chat/completions", {
        token: user.token,
        body: { model: protocol.feature, stream: true, messages: [{ role: "user", content: "hi" }] },
      });
      assert.equal(response.status, 400);
      assert.ok(response.text.length < 4096, "none of the oversized body reaches the client");
      // The provider's text was never read whole: the status alone is reported.
      assert.match(response.text, /HTTP 400/);
      const floods = upstream.floods.slice(before);
      assert.ok(floods.length > 0);
      for (const flood of floods) {
        await flood.closed;
        assert.equal(flood.completed, false, "the upstream never got to finish");
        assert.ok(flood.written < CAP + protocol.slack, `the upstream wrote ${flood.written} bytes`);
      }
    });
  }
});

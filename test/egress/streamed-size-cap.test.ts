/**
 * @module test/egress/streamed-size-cap
 * `maxResponseBytes` on streamed answers and on error bodies, over HTTP/2 (where undici's own cap does not
 * hold) and HTTP/1.1 alike: the body fails with `response_too_large` and the upstream exchange is cut near it.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  createEgressPolicy,
  createUpstreamClient,
  toUpstreamFailure,
  type UpstreamBody,
  type UpstreamCall,
} from "../../src/egress/index.ts";
import { type FloodingUpstream, startFloodingUpstream } from "../peers/flooding-upstream.ts";
import { createThrowawayCa, type ThrowawayCa } from "./support/throwaway-ca.ts";

const CAP = 64 * 1024;
/** What a flood sends when nothing cuts it. */
const FLOOD = 16 * 1024 * 1024;
/**
 * What may be written past the cap before the cut lands, outside the gateway's heap: over HTTP/2 the stream's
 * flow-control window (undici's 256 KiB) and the server's write buffer; over HTTP/1.1 the kernel's socket
 * buffers on loopback (several MiB), which undici's parser never reads past the cap.
 */
const SLACK = { h2: 1024 * 1024, http1: 8 * 1024 * 1024 } as const;
const timeouts = { connectMs: 5000, headersMs: 5000, bodyIdleMs: 5000, totalMs: 20_000 };
const policy = createEgressPolicy({ allowCidrs: ["127.0.0.0/8", "::1/128"] });

let ca: ThrowawayCa;
let h2: FloodingUpstream;
let http1: FloodingUpstream;

before(async () => {
  ca = createThrowawayCa();
  h2 = await startFloodingUpstream({ protocol: "h2", tls: ca.issue("localhost"), floodBytes: FLOOD });
  http1 = await startFloodingUpstream({ protocol: "http1", floodBytes: FLOOD });
});
after(async () => {
  await Promise.all([h2.close(), http1.close()]);
  ca.dispose();
});

/** Reads the body chunk by chunk (nothing kept); the reason it failed with, or "ended". */
async function readAll(body: UpstreamBody): Promise<{ outcome: string; bytes: number }> {
  let bytes = 0;
  try {
    for await (const chunk of body) bytes += (chunk as Buffer).length;
    return { outcome: "ended", bytes };
  } catch (error) {
    return { outcome: toUpstreamFailure(error).reason, bytes };
  }
}

const PROTOCOLS = [
  {
    name: "HTTP/2",
    upstream: () => h2,
    pool: { label: "h2-backend", maxConnections: 2, http2: true },
    slack: SLACK.h2,
  },
  {
    name: "HTTP/1.1",
    upstream: () => http1,
    pool: { label: "h1-backend", maxConnections: 2, http2: false },
    slack: SLACK.http1,
  },
] as const;

describe("the response size cap on streamed answers and error bodies", () => {
  for (const protocol of PROTOCOLS) {
    const call = (): UpstreamCall => ({
      url: `${protocol.upstream().origin}/v1/chat/completions`,
      guarded: false,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
      timeouts,
      pool: protocol.pool,
    });

    test(`${protocol.name}: a stream past the cap fails with response_too_large and the upstream is cut`, async () => {
      const upstream = protocol.upstream();
      upstream.mode = "stream";
      const client = createUpstreamClient({ policy, ca: ca.caCert, maxResponseBytes: CAP });
      try {
        const response = await client.send(call());
        assert.equal(response.status, 200);
        const read = await readAll(response.body);
        assert.equal(read.outcome, "response_too_large");
        assert.ok(read.bytes <= CAP, `${read.bytes} bytes relayed, the cap is ${CAP}`);
        const flood = upstream.floods.at(-1)!;
        await flood.closed; // the exchange was ended, not left streaming
        assert.equal(flood.completed, false, "the upstream never got to finish");
        assert.ok(
          flood.written < CAP + protocol.slack,
          `the upstream wrote ${flood.written} bytes before the cut`,
        );
      } finally {
        await client.close();
      }
    });

    test(`${protocol.name}: an error body past the cap is not read whole`, async () => {
      const upstream = protocol.upstream();
      upstream.mode = "error";
      const client = createUpstreamClient({ policy, ca: ca.caCert, maxResponseBytes: CAP });
      try {
        const response = await client.send(call());
        assert.equal(response.status, 400);
        await assert.rejects(response.body.text(), (error: unknown) => {
          assert.equal(toUpstreamFailure(error).reason, "response_too_large");
          return true;
        });
        const flood = upstream.floods.at(-1)!;
        await flood.closed;
        assert.equal(flood.completed, false, "the upstream never got to finish");
        assert.ok(
          flood.written < CAP + protocol.slack,
          `the upstream wrote ${flood.written} bytes before the cut`,
        );
      } finally {
        await client.close();
      }
    });
  }
});

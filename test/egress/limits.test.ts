/**
 * @module Time and size limits on loopback: slow headers, a stalled body, the total limit, the
 * decoded-size cap (a small gzip body that inflates past it), a connect-time limit, caller aborts.
 */
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import {
  createEgressPolicy,
  createGuardedFetch,
  type EgressDenyReason,
  EgressError,
  type EgressLimits,
  type EgressResolver,
  type GuardedFetch,
} from "../../src/egress/index.ts";
import { type LoopbackServer, startServer } from "./support/loopback-server.ts";

const cap = 64 * 1024;
const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024));
const held: ServerResponse[] = [];
let server: LoopbackServer;

before(async () => {
  server = await startServer("127.0.0.2", (request, response) => {
    request.resume();
    switch (request.url) {
      case "/never": // headers never come
        held.push(response);
        return;
      case "/stall": // headers and a first chunk, then nothing
        response.writeHead(200, { "content-type": "text/plain" });
        response.write("first chunk");
        held.push(response);
        return;
      case "/exact":
        response.writeHead(200, { "content-length": String(cap) });
        response.end(Buffer.alloc(cap, 97));
        return;
      case "/large":
        response.writeHead(200, { "content-length": String(cap + 1) });
        response.end(Buffer.alloc(cap + 1, 97));
        return;
      case "/gzip-bomb":
        response.writeHead(200, { "content-encoding": "gzip", "content-length": String(bomb.length) });
        response.end(bomb);
        return;
      case "/empty":
        response.writeHead(204);
        response.end();
        return;
    }
  });
});
after(async () => {
  for (const response of held) response.destroy();
  await server.close();
});

async function withFetch(
  limits: EgressLimits,
  run: (fetch: GuardedFetch, reasons: EgressDenyReason[]) => Promise<void>,
) {
  const reasons: EgressDenyReason[] = [];
  const guardedFetch = createGuardedFetch(
    createEgressPolicy({
      allowCidrs: ["127.0.0.2/32"],
      allowHttpHosts: ["127.0.0.2"],
      observer: { onDenied: (reason) => reasons.push(reason) },
    }),
    limits,
  );
  try {
    await run(guardedFetch, reasons);
  } finally {
    await guardedFetch.close();
  }
}

const url = (path: string) => `${server.origin}${path}`;

describe("time limits", { concurrency: true }, () => {
  test("slow headers hit the headers limit", async () => {
    await withFetch({ headersTimeoutMs: 100 }, async (guardedFetch, reasons) => {
      await assert.rejects(guardedFetch(url("/never")), { name: "EgressError", reason: "headers_timeout" });
      assert.deepEqual(reasons, ["headers_timeout"]);
    });
  });

  test("a stalled body hits the idle limit while it is read", async () => {
    await withFetch({ bodyIdleTimeoutMs: 100 }, async (guardedFetch, reasons) => {
      const response = await guardedFetch(url("/stall"));
      assert.equal(response.status, 200);
      await assert.rejects(response.text(), { name: "EgressError", reason: "body_timeout" });
      assert.deepEqual(reasons, ["body_timeout"]);
    });
  });

  test("the total limit covers the wait for headers and the body", async () => {
    await withFetch({ totalTimeoutMs: 100 }, async (guardedFetch) => {
      await assert.rejects(guardedFetch(url("/never")), { reason: "total_timeout" });
    });
    await withFetch({ totalTimeoutMs: 150 }, async (guardedFetch, reasons) => {
      const response = await guardedFetch(url("/stall"));
      const reader = response.body?.getReader();
      assert.ok(reader);
      const first = await reader.read();
      assert.equal(new TextDecoder().decode(first.value), "first chunk");
      await assert.rejects(reader.read(), { reason: "total_timeout" });
      assert.deepEqual(reasons, ["total_timeout"]);
    });
  });

  test("a connection that cannot be set up in time hits the connect limit", async () => {
    const hanging: EgressResolver = () => new Promise(() => {});
    const guardedFetch = createGuardedFetch(
      createEgressPolicy({
        resolver: hanging,
        resolveTimeoutMs: 60_000,
        allowHttpHosts: ["slow.connect.example"],
      }),
      { connectTimeoutMs: 100 },
    );
    try {
      await assert.rejects(guardedFetch("http://slow.connect.example/"), { reason: "connect_timeout" });
    } finally {
      await guardedFetch.close();
    }
  });

  test("a caller's abort passes through unchanged, not as an egress denial", async () => {
    await withFetch({}, async (guardedFetch, reasons) => {
      const controller = new AbortController();
      const pending = guardedFetch(url("/never"), { signal: controller.signal });
      controller.abort();
      const failure = await pending.catch((error: unknown) => error);
      assert.ok(!(failure instanceof EgressError));
      assert.equal((failure as Error).name, "AbortError");
      assert.deepEqual(reasons, []);
    });
  });
});

describe("the decoded-size cap", () => {
  test("a body exactly at the cap is delivered whole", async () => {
    await withFetch({ maxResponseBytes: cap }, async (guardedFetch) => {
      const body = await (await guardedFetch(url("/exact"))).arrayBuffer();
      assert.equal(body.byteLength, cap);
    });
  });

  test("one byte over the cap fails the body read", async () => {
    await withFetch({ maxResponseBytes: cap }, async (guardedFetch, reasons) => {
      const response = await guardedFetch(url("/large"));
      await assert.rejects(response.arrayBuffer(), { name: "EgressError", reason: "response_too_large" });
      assert.deepEqual(reasons, ["response_too_large"]);
    });
  });

  test("a small gzip body that inflates past the cap is stopped on decoded bytes", async () => {
    assert.ok(bomb.length < cap, `the compressed body (${bomb.length} bytes) is under the cap`);
    await withFetch({ maxResponseBytes: cap }, async (guardedFetch, reasons) => {
      const response = await guardedFetch(url("/gzip-bomb"));
      const reader = response.body?.getReader();
      assert.ok(reader);
      let delivered = 0;
      const failure = await (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return undefined;
          delivered += value.byteLength;
        }
      })().catch((error: unknown) => error);
      assert.ok(failure instanceof EgressError);
      assert.equal(failure.reason, "response_too_large");
      assert.ok(delivered <= cap, `delivered ${delivered} decoded bytes, cap ${cap}`);
      assert.deepEqual(reasons, ["response_too_large"]);
    });
  });

  test("a response without a body passes untouched", async () => {
    await withFetch({ maxResponseBytes: 1 }, async (guardedFetch) => {
      const response = await guardedFetch(url("/empty"));
      assert.equal(response.status, 204);
      assert.equal(await response.text(), "");
    });
  });
});

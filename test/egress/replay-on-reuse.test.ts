/**
 * @module test/egress/replay-on-reuse
 * The one replay of an upstream call: only when a reused keep-alive socket was closed before any answer
 * (the server dropped it as it was reused). A fresh socket that closes after the server read the request is
 * never sent the request again: the provider may have processed, and billed, it (review finding).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createEgressPolicy, createUpstreamClient, toUpstreamFailure } from "../../src/egress/index.ts";
import { type LoopbackServer, startServer } from "./support/loopback-server.ts";

const timeouts = { connectMs: 2000, headersMs: 2000, bodyIdleMs: 2000, totalMs: 5000 };
const policy = createEgressPolicy({ allowCidrs: ["127.0.0.1/32"], allowHttpHosts: ["127.0.0.1"] });

describe("replaying an upstream call", () => {
  let server: LoopbackServer;
  const received = new Map<string, number>();
  const servedOn = new WeakMap<object, number>();
  before(async () => {
    server = await startServer("127.0.0.1", (request, response) => {
      const path = request.url ?? "";
      received.set(path, (received.get(path) ?? 0) + 1);
      const served = servedOn.get(request.socket) ?? 0;
      servedOn.set(request.socket, served + 1);
      request.resume();
      request.on("end", () => {
        // "/drop-fresh": every request read, then its socket closed without an answer.
        // "/drop-reused": the second request on a socket is dropped the same way (a keep-alive socket the
        // server closed as it was reused); a request on a fresh socket is answered.
        const drop = path === "/drop-fresh" || (path.startsWith("/drop-reused") && served > 0);
        if (drop) request.socket.destroy();
        else response.end('{"ok":true}');
      });
    });
  });
  after(() => server.close());

  for (const whole of [true, false]) {
    test(`a fresh socket closed after the request was read: sent once, failed (${whole ? "whole" : "streamed"})`, async () => {
      const client = createUpstreamClient({ policy });
      try {
        const path = "/drop-fresh";
        received.delete(path);
        const failure = await client
          .send({
            url: `${server.origin}${path}`,
            guarded: false,
            method: "POST",
            headers: {},
            body: "{}",
            timeouts,
            whole,
          })
          .then(
            () => "answered",
            (error: unknown) => toUpstreamFailure(error).reason,
          );
        assert.equal(failure, "request_failed");
        assert.equal(received.get(path), 1, "the provider saw the request once");
      } finally {
        await client.close();
      }
    });

    test(`a reused keep-alive socket closed before answering: replayed once on a fresh one (${whole ? "whole" : "streamed"})`, async () => {
      const client = createUpstreamClient({ policy, connectionsPerOrigin: 1 });
      try {
        const path = `/drop-reused-${whole}`;
        const call = {
          url: `${server.origin}${path}`,
          guarded: false,
          method: "POST" as const,
          headers: {},
          body: "{}",
          timeouts,
          whole,
        };
        const first = await client.send(call);
        assert.equal(whole ? await first.whole?.text() : await first.body.text(), '{"ok":true}');
        const second = await client.send(call);
        assert.equal(second.status, 200);
        assert.equal(whole ? await second.whole?.text() : await second.body.text(), '{"ok":true}');
        assert.equal(received.get(path), 3, "answered, dropped on reuse, answered on a fresh socket");
      } finally {
        await client.close();
      }
    });
  }
});

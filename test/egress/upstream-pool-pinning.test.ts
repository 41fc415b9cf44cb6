/**
 * @module test/egress/upstream-pool-pinning
 * The custom endpoint's pool opens many sockets, each through the pinned connector: one guarded resolution
 * per socket, every socket on the checked address, and a DNS answer that changes between sockets never
 * lets one reach a denied address. 127.0.0.2 stands in for the public host, 127.0.0.1 is internal.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import {
  createEgressPolicy,
  createUpstreamClient,
  type EgressResolver,
  type UpstreamCall,
} from "../../src/egress/index.ts";

const host = "api.pool.example";
const timeouts = { connectMs: 5000, headersMs: 30_000, bodyIdleMs: 30_000, totalMs: 60_000 };
const CONCURRENT = 20;

interface HoldingServer {
  readonly server: Server;
  readonly socketAddresses: Set<string>;
  readonly requests: () => number;
}

/** Holds responses until `CONCURRENT` requests are in flight, so each needs a socket of its own. */
function startHolding(hostname: string, port: number): Promise<HoldingServer> {
  const held: ServerResponse[] = [];
  const socketAddresses = new Set<string>();
  let count = 0;
  const server = createServer((request, response) => {
    count++;
    socketAddresses.add(`${request.socket.localAddress}|${request.socket.remotePort}`);
    request.resume();
    held.push(response);
    if (held.length >= CONCURRENT) for (const each of held.splice(0)) each.end("ok");
  });
  server.listen(port, hostname);
  return once(server, "listening").then(() => ({ server, socketAddresses, requests: () => count }));
}

let upstream: HoldingServer;
let internal: HoldingServer;
before(async () => {
  upstream = await startHolding("127.0.0.2", 0);
  // The internal server listens on the same port, so a socket pinned to the wrong address would reach it.
  internal = await startHolding("127.0.0.1", (upstream.server.address() as AddressInfo).port);
});
after(async () => {
  for (const { server } of [upstream, internal]) {
    server.closeAllConnections();
    server.close();
  }
});

function call(): UpstreamCall {
  const { port } = upstream.server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/v1/x`,
    guarded: true,
    method: "POST",
    headers: {},
    body: "{}",
    timeouts,
  };
}

describe("the custom endpoint's pool pins every socket", () => {
  test(`${CONCURRENT} concurrent calls: ${CONCURRENT} sockets, each resolved and checked by the guard`, async () => {
    let resolutions = 0;
    const resolver: EgressResolver = async () => {
      resolutions++;
      return [{ address: "127.0.0.2", family: 4 }];
    };
    const policy = createEgressPolicy({ allowCidrs: ["127.0.0.2/32"], allowHttpHosts: [host], resolver });
    const client = createUpstreamClient({ policy });
    try {
      const before = upstream.requests();
      const answers = await Promise.all(
        Array.from({ length: CONCURRENT }, async () => (await client.send(call())).body.text()),
      );
      assert.deepEqual(answers, Array(CONCURRENT).fill("ok"));
      assert.equal(upstream.requests() - before, CONCURRENT);
      assert.equal(client.poolStats()[0]?.connected, CONCURRENT, "one socket per held call");
      assert.equal(resolutions, CONCURRENT, "every socket went through the guarded lookup");
      assert.equal(upstream.socketAddresses.size, CONCURRENT, "each on the checked address");
      assert.equal(internal.requests(), 0);
    } finally {
      await client.close();
    }
  });

  test("an answer that turns internal between sockets is refused for that socket alone", async () => {
    // Every other resolution answers the internal address, as a rebinding name server would.
    let resolutions = 0;
    const resolver: EgressResolver = async () => {
      resolutions++;
      return [{ address: resolutions % 2 === 0 ? "127.0.0.1" : "127.0.0.2", family: 4 }];
    };
    const blocked: string[] = [];
    const policy = createEgressPolicy({
      allowCidrs: ["127.0.0.2/32"],
      allowHttpHosts: [host],
      resolver,
      observer: { onBlockedConnection: (reason) => blocked.push(reason) },
    });
    // 2 × CONCURRENT calls, one socket each, every other one refused: CONCURRENT reach the held server.
    const client = createUpstreamClient({ policy });
    try {
      const outcomes = await Promise.allSettled(
        Array.from({ length: CONCURRENT * 2 }, async () => (await client.send(call())).body.text()),
      );
      const served = outcomes.filter((outcome) => outcome.status === "fulfilled").length;
      const refused = outcomes.filter(
        (outcome) =>
          outcome.status === "rejected" &&
          (outcome.reason as { reason?: string }).reason === "address_denied",
      ).length;
      assert.equal(served + refused, CONCURRENT * 2, "every call was served or refused by the guard");
      assert.ok(refused > 0 && blocked.length > 0, "internal answers were refused at connect");
      assert.ok(blocked.every((reason) => reason === "address_denied"));
      assert.equal(internal.requests(), 0, "no socket ever reached the internal address");
    } finally {
      await client.close();
    }
  });
});

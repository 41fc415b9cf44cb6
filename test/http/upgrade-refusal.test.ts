import assert from "node:assert/strict";
import { once } from "node:events";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { addUser } from "../support/gateway-client.ts";
import { startGateway, type TestGateway } from "../support/start-gateway.ts";

/** Sends one upgrade request on a fresh socket; resolves with everything read until the gateway ends it. */
async function upgrade(
  gateway: TestGateway,
  method: string,
  path: string,
  token?: string,
  protocol = "websocket",
): Promise<string> {
  const { hostname, port } = new URL(gateway.url);
  const socket = connect(Number(port), hostname);
  await once(socket, "connect");
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  socket.write(
    `${method} ${path} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: Upgrade\r\nUpgrade: ${protocol}\r\n` +
      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
      (token === undefined ? "" : `Authorization: Bearer ${token}\r\n`) +
      "\r\n",
  );
  await once(socket, "close");
  return Buffer.concat(chunks).toString("utf8");
}

describe("WebSocket upgrades outside the live listen route", () => {
  let gateway: TestGateway;
  let token: string;
  before(async () => {
    gateway = await startGateway();
    token = await addUser(gateway, "upgrade-user");
  });
  after(() => gateway.close());

  for (const [method, path] of [
    ["GET", "/v1/chat/completions"],
    ["POST", "/v1/chat/completions"],
    ["GET", "/v1/models"],
    ["GET", "/no/such/route"],
  ] as const) {
    test(`${method} ${path} with an upgrade → 404 in the OpenAI envelope, then the socket ends`, async () => {
      const answer = await upgrade(gateway, method, path, token);
      assert.match(answer, /^HTTP\/1\.1 404 /);
      assert.match(answer, /\r\nx-request-id: [0-9a-f-]{36}\r\n/i);
      const body = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4)) as { error: { type: string } };
      assert.equal(body.error.type, "not_found");
      assert.doesNotMatch(answer, /101 Switching Protocols/);
    });
  }

  // Node hands every upgrade request's raw socket over, outside the server's time-outs: whatever answers
  // it must end the socket, or a client that leaves keeps it open forever (review finding).
  for (const [path, withToken, status] of [
    ["/healthz", false, 200],
    ["/v1/models", false, 401],
    ["/v1/models", true, 200],
  ] as const) {
    test(`GET ${path} with Upgrade: h2c${withToken ? "" : " and no token"} → ${status} over HTTP/1.1, then the socket ends`, {
      timeout: 10_000,
    }, async () => {
      const answer = await upgrade(gateway, "GET", path, withToken ? token : undefined, "h2c");
      assert.match(answer, new RegExp(`^HTTP/1\\.1 ${status} `));
      assert.doesNotMatch(answer, /101 Switching Protocols/);
    });
  }
});

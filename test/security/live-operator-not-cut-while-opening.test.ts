/**
 * @module test/security/live-operator-not-cut-while-opening
 * An operator-served live session (the user holds no Deepgram key) is not cut by a change of the user's
 * other keys made while Deepgram's handshake is under way: its open call is routed before the socket opens.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { WebSocketServer } from "ws";
import { enroll } from "../support/gateway-client.ts";
import { type ListenGateway, openLive, startListenGateway } from "../support/listen-gateway.ts";

describe("operator-served live session, enrollment changed during the handshake", () => {
  let peer: WebSocketServer;
  let env: ListenGateway;
  const handshake = Promise.withResolvers<void>();
  const release = Promise.withResolvers<void>();
  const auths: string[] = [];
  before(async () => {
    peer = new WebSocketServer({
      host: "127.0.0.1",
      port: 0,
      verifyClient: (info, done) => {
        auths.push(String(info.req.headers.authorization));
        handshake.resolve();
        void release.promise.then(() => done(true));
      },
    });
    await once(peer, "listening");
    peer.on("connection", (socket) => {
      socket.on("message", (data, isBinary) => {
        if (!isBinary && String(data).includes("CloseStream")) {
          socket.send(JSON.stringify({ type: "Metadata", request_id: "r", duration: 1 }));
          socket.close(1000, "");
        }
      });
    });
    const port = (peer.address() as AddressInfo).port;
    env = await startListenGateway({
      config: { providers: { deepgram: { liveBaseUrl: `ws://127.0.0.1:${port}` } } },
    });
  });
  after(async () => {
    await env.close();
    for (const client of peer.clients) client.terminate();
    peer.close();
  });

  test("the session on the operator's key is not cut", { timeout: 30_000 }, async () => {
    const user = await env.user({}); // openai only: the live session is served on the operator's Deepgram key
    const livePromise = openLive(
      env.liveUrl,
      { model: "transcription", encoding: "linear16", sample_rate: "16000" },
      {
        authorization: `Token ${user.token}`,
        ...user.headers,
      },
    );
    await handshake.promise;
    // The user's other device replaces their OpenAI key (they have no Deepgram key).
    assert.equal(
      (await enroll(env.gateway, user.token, { openai: "sk-user-openai-replaced-00000000000000" })).status,
      200,
    );
    release.resolve();
    let result: string;
    try {
      const live = await livePromise;
      live.ws.send(JSON.stringify({ type: "CloseStream" }));
      const closed = await live.closed;
      result = `${closed.code} ${closed.reason}`;
    } catch (error) {
      result = String(error);
    }
    console.log("# upstream auth", auths, "result", result);
    assert.equal(result, "1000 ", "an operator-served session is not on the user's keys: not cut");
  });
});

/**
 * @module test/security/live-keys-changed-while-opening
 * A live session whose Deepgram key is replaced after the caller's keys were read (header keys, or a
 * ticket's recheck) opens no Deepgram socket on the replaced key: the session's open call is routed, and
 * cut, before the upstream socket opens (it used to be marked routed only after Deepgram answered).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { call, enroll } from "../support/gateway-client.ts";
import {
  type ListenGateway,
  openLive,
  startListenGateway,
  USER_OPENAI_KEY,
} from "../support/listen-gateway.ts";

const OLD_KEY = "dg-user-key-live-old-0123456789abcdef00";
const NEW_KEY = "dg-user-key-live-new-0123456789abcdef00";
const PCM_QUERY = { model: "transcription", encoding: "linear16", sample_rate: "16000" } as const;

describe("live session, keys replaced while the caller is checked", () => {
  let env: ListenGateway;
  before(async () => {
    env = await startListenGateway();
  });
  after(() => env.close());

  test("header keys: no Deepgram socket is opened on the replaced key", { timeout: 30_000 }, async () => {
    const user = await env.user({ deepgram: OLD_KEY });
    const { byok } = env.gateway;
    const validate = byok.validate;
    byok.validate = async (...args) => {
      byok.validate = validate;
      const result = await validate.apply(byok, args);
      // The user's other device replaces the key right after this request's keys were read.
      assert.equal(
        (await enroll(env.gateway, user.token, { openai: USER_OPENAI_KEY, deepgram: NEW_KEY })).status,
        200,
      );
      return result;
    };
    const before = env.fake.live.length;
    let closed: { code: number; reason: string };
    try {
      const live = await openLive(env.liveUrl, PCM_QUERY, {
        authorization: `Token ${user.token}`,
        ...user.headers,
      });
      if (live.ws.readyState === live.ws.OPEN) live.ws.send(JSON.stringify({ type: "CloseStream" }));
      closed = await live.closed;
    } finally {
      byok.validate = validate;
    }
    const sent = env.fake.live.slice(before).map((c) => c.headers.authorization);
    console.log("# closed", closed, "upstream auth", sent);
    assert.deepEqual(sent, [], "no Deepgram socket opened on the replaced key");
  });

  test("ticket: no Deepgram socket is opened on the replaced key", { timeout: 30_000 }, async () => {
    const user = await env.user({ deepgram: OLD_KEY });
    const issued = await call(env.gateway, "POST", "/v1/listen/tickets?model=transcription", {
      token: user.token,
      headers: user.headers,
    });
    assert.equal(issued.status, 201, issued.text);
    const ticket = (issued.body as { ticket: string }).ticket;
    const { byok } = env.gateway;
    const still = byok.stillEnrolled;
    byok.stillEnrolled = async (...args) => {
      byok.stillEnrolled = still;
      const result = await still.apply(byok, args);
      assert.equal(
        (await enroll(env.gateway, user.token, { openai: USER_OPENAI_KEY, deepgram: NEW_KEY })).status,
        200,
      );
      return result;
    };
    const before = env.fake.live.length;
    let closed: { code: number; reason: string };
    try {
      const live = await openLive(env.liveUrl, { ...PCM_QUERY, ticket }, {});
      if (live.ws.readyState === live.ws.OPEN) live.ws.send(JSON.stringify({ type: "CloseStream" }));
      closed = await live.closed;
    } finally {
      byok.stillEnrolled = still;
    }
    const sent = env.fake.live.slice(before).map((c) => c.headers.authorization);
    console.log("# closed", closed, "upstream auth", sent);
    assert.deepEqual(sent, [], "no Deepgram socket opened on the replaced key");
  });
});

/**
 * @module test/gateway/live-session-revocation
 * A live `/v1/listen` session is cut like any call in flight: revoking its user closes it with 4001
 * (`user_revoked`), deleting the enrollment closes a session on the user's own key with 4003
 * (`enrollment_changed`) and leaves an operator-served one open; the provider's socket closes and the
 * session is reported.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { call } from "../support/gateway-client.ts";
import {
  type ListenGateway,
  type ListenUser,
  nextConnection,
  openLive,
  startListenGateway,
} from "../support/listen-gateway.ts";
import { ADMIN_TOKEN } from "../support/start-gateway.ts";
import { chunks, pcm16Sine } from "../support/test-audio.ts";

const USER_KEY = "dg-user-key-revoked-0123456789abcdef";
const PCM_QUERY = { model: "transcription", encoding: "linear16", sample_rate: "16000" } as const;
const TIMEOUT = { timeout: 30_000 };
const userHeaders = (user: ListenUser) => ({ authorization: `Token ${user.token}`, ...user.headers });

describe("live sessions are cut by revocation", () => {
  let env: ListenGateway;
  before(async () => {
    env = await startListenGateway();
  });
  after(() => env.close());

  test(
    "revoking the user closes their live session with 4001 user_revoked within a second",
    TIMEOUT,
    async () => {
      const user = await env.user({ deepgram: USER_KEY });
      const opened = nextConnection(env);
      const live = await openLive(env.liveUrl, PCM_QUERY, userHeaders(user));
      const connection = await opened;
      for (const frame of chunks(pcm16Sine({ seconds: 0.2 }), 640)) live.ws.send(frame);
      const revokedAt = performance.now();
      const revoked = await call(env.gateway, "DELETE", `/admin/users/${user.id}`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      assert.equal(revoked.status, 200, revoked.text);
      const closed = await Promise.race([live.closed, delay(1000, null, { ref: false })]);
      assert.ok(closed !== null, "the session closed within a second");
      assert.ok(performance.now() - revokedAt < 1000);
      assert.equal(closed.code, 4001);
      assert.match(closed.reason, /^user_revoked: /);
      await env.gateway.waitForLog('"outcome":"invalid_credentials"');
      const providerClosed = await Promise.race([connection.closed, delay(1000, null, { ref: false })]);
      assert.ok(providerClosed !== null, "the provider's socket closed");
    },
  );

  test(
    "deleting the enrollment closes the BYOK session with 4003; the operator-served one runs on",
    TIMEOUT,
    async () => {
      const user = await env.user({ deepgram: USER_KEY });
      const own = await openLive(env.liveUrl, PCM_QUERY, userHeaders(user));
      const operatorServed = await openLive(env.liveUrl, PCM_QUERY, { authorization: `Token ${user.token}` });
      const deleted = await call(env.gateway, "DELETE", "/v1/byok/enrollment", { token: user.token });
      assert.equal(deleted.status, 200, deleted.text);
      const closed = await Promise.race([own.closed, delay(1000, null, { ref: false })]);
      assert.ok(closed !== null, "the BYOK session closed within a second");
      assert.equal(closed.code, 4003);
      assert.match(closed.reason, /^enrollment_changed: /);
      const other = await Promise.race([operatorServed.closed, delay(200, null, { ref: false })]);
      assert.equal(other, null, "the operator-served session is still open");
      operatorServed.ws.send(JSON.stringify({ type: "CloseStream" }));
      assert.equal((await operatorServed.closed).code, 1000);
    },
  );
});

/**
 * @module test/gateway/revocation-cuts-open-calls
 * Revocation cuts what is open: revoking a user, deleting an enrollment or replacing an enrolled key ends
 * that user's calls in flight within a second with an error naming the reason, and stops the upstream
 * call; an operator-served call survives an enrollment change, and other users' calls are untouched.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { call, enroll, errorOf } from "../support/gateway-client.ts";
import { startListenGateway } from "../support/listen-gateway.ts";
import { type GatewayUser, type ModelGateway, startModelGateway } from "../support/model-gateway.ts";
import { ADMIN_TOKEN } from "../support/start-gateway.ts";

const USER_KEY = "sk-user-openai-revocation-000000000";
const OTHER_KEY = "sk-user-openai-revocation-111111111";

interface OpenStream {
  /** Everything the client received until the stream ended. */
  readonly ended: Promise<string>;
  /** Aborts the client's request (cleanup for streams a test leaves open). */
  abort(): void;
}

/** A streamed chat call that hangs after its first chunk (the fake's "hang"), opened and read to its end. */
async function openHangingStream(env: ModelGateway, user: GatewayUser, byok = true): Promise<OpenStream> {
  const client = new AbortController();
  const response = await fetch(`${env.gateway.url}/v1/chat/completions`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${user.token}`,
      "content-type": "application/json",
      ...(byok ? user.headers : {}),
    },
    body: JSON.stringify({ model: "summary", stream: true, messages: [{ role: "user", content: "hang" }] }),
    signal: client.signal,
  });
  assert.equal(response.status, 200);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const first = await reader.read();
  text += decoder.decode(first.value, { stream: true });
  const ended = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return text;
        text += decoder.decode(value, { stream: true });
      }
    } catch {
      return `${text}<aborted>`;
    }
  })();
  return { ended, abort: () => client.abort() };
}

/** The error object of the last `data:` event of a stream, or null. */
function lastError(text: string): { type?: string; code?: string } | null {
  const events = text.split("\n\n").filter((event) => event.startsWith("data: "));
  const last = events.at(-1)?.slice("data: ".length);
  if (last === undefined || last === "[DONE]") return null;
  const parsed = JSON.parse(last) as { error?: { type?: string; code?: string } };
  return parsed.error ?? null;
}

/** Resolves "ended" when the stream ends within `ms`, else "still open". */
const endsWithin = (stream: OpenStream, ms: number) =>
  Promise.race([stream.ended.then(() => "ended"), delay(ms, "still open", { ref: false })]);

describe("revocation cuts what is open", () => {
  let env: ModelGateway;
  before(async () => {
    env = await startModelGateway();
  });
  after(() => env.close());

  test("revoking a user ends their open stream within a second with user_revoked; others' streams run on", async () => {
    const user = await env.user({ openai: USER_KEY });
    const other = await env.user({ openai: OTHER_KEY });
    const stream = await openHangingStream(env, user);
    const bystander = await openHangingStream(env, other);
    const upstreamClosed = env.fakes.openai.nextAbortedResponse();
    const revokedAt = performance.now();
    const revoked = await call(env.gateway, "DELETE", `/admin/users/${user.id}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    assert.equal(revoked.status, 200, revoked.text);
    assert.equal(await endsWithin(stream, 1000), "ended", "the revoked user's stream ended");
    assert.ok(performance.now() - revokedAt < 1000);
    const text = await stream.ended;
    assert.deepEqual(
      { type: lastError(text)?.type, code: lastError(text)?.code },
      { type: "invalid_credentials", code: "user_revoked" },
      text,
    );
    const aborted = await Promise.race([
      upstreamClosed.then(() => "closed"),
      delay(1000, "open", { ref: false }),
    ]);
    assert.equal(aborted, "closed", "the upstream call was aborted too");
    assert.equal(await endsWithin(bystander, 200), "still open", "another user's stream is untouched");
    bystander.abort();
    await env.gateway.waitForLog('"outcome":"invalid_credentials"');
  });

  test("deleting the enrollment cuts the user's BYOK stream (enrollment_changed), not their operator-served one", async () => {
    const user = await env.user({ openai: USER_KEY });
    const own = await openHangingStream(env, user);
    const operatorServed = await openHangingStream(env, user, false);
    const deleted = await call(env.gateway, "DELETE", "/v1/byok/enrollment", { token: user.token });
    assert.equal(deleted.status, 200, deleted.text);
    assert.equal(await endsWithin(own, 1000), "ended");
    assert.equal(lastError(await own.ended)?.code, "enrollment_changed");
    assert.equal(await endsWithin(operatorServed, 200), "still open", "the operator-served call runs on");
    operatorServed.abort();
  });

  test("re-enrolling with another key cuts the stream on the previous key; re-enrolling the same key does not", async () => {
    const user = await env.user({ openai: USER_KEY });
    const stream = await openHangingStream(env, user);
    const heartbeat = await call(env.gateway, "POST", "/v1/byok/heartbeat", { token: user.token });
    assert.equal(heartbeat.status, 200, heartbeat.text);
    assert.equal((await enroll(env.gateway, user.token, { openai: USER_KEY })).status, 200);
    assert.equal(await endsWithin(stream, 200), "still open", "a heartbeat or the same key cuts nothing");
    assert.equal((await enroll(env.gateway, user.token, { openai: OTHER_KEY })).status, 200);
    assert.equal(await endsWithin(stream, 1000), "ended");
    assert.equal(lastError(await stream.ended)?.code, "enrollment_changed");
  });

  test("a pending non-streamed call of a revoked user answers 401 user_revoked", async () => {
    const user = await env.user({ openai: USER_KEY });
    const answering = Promise.withResolvers<void>();
    env.fakes.openai.respondNext((_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.flushHeaders(); // the headers arrive; the body never does
      answering.resolve();
    });
    const pending = call(env.gateway, "POST", "/v1/chat/completions", {
      token: user.token,
      headers: user.headers,
      body: { model: "summary", messages: [{ role: "user", content: "hang" }] },
    });
    await answering.promise;
    await env.gateway.byok.users.revokeUser(user.id);
    const response = await pending;
    assert.equal(response.status, 401, response.text);
    assert.equal(errorOf(response).code, "user_revoked");
    assert.equal(env.gateway.byok.pipeline.openCalls?.size, 0, "the call left the registry");
  });
});

describe("revocation cuts pending embeddings and prerecorded transcriptions", () => {
  test("a pending embeddings call on the user's key answers 403 enrollment_changed when the enrollment is deleted", async () => {
    const env = await startModelGateway();
    try {
      const user = await env.user({ openai: USER_KEY });
      const answering = Promise.withResolvers<void>();
      const upstreamClosed = Promise.withResolvers<void>();
      env.fakes.openai.respondNext((_request, response) => {
        response.once("close", () => upstreamClosed.resolve());
        answering.resolve(); // never answers
      });
      const pending = call(env.gateway, "POST", "/v1/embeddings", {
        token: user.token,
        headers: user.headers,
        body: { model: "embed", input: "hello" },
      });
      await answering.promise;
      const deleted = await call(env.gateway, "DELETE", "/v1/byok/enrollment", { token: user.token });
      assert.equal(deleted.status, 200, deleted.text);
      const response = await pending;
      assert.equal(response.status, 403, response.text);
      assert.equal(errorOf(response).code, "enrollment_changed");
      await upstreamClosed.promise; // the upstream request was aborted
    } finally {
      await env.close();
    }
  });

  test("a prerecorded /v1/listen upload in flight answers 401 user_revoked when its user is revoked", async () => {
    // A Deepgram stand-in that takes the upload and never answers.
    const received = Promise.withResolvers<void>();
    const upstreamClosed = Promise.withResolvers<void>();
    const deepgram = createServer((request, response) => {
      request.resume();
      response.once("close", () => upstreamClosed.resolve());
      received.resolve();
    });
    deepgram.listen(0, "127.0.0.1");
    await once(deepgram, "listening");
    const { port } = deepgram.address() as AddressInfo;
    const env = await startListenGateway({
      config: { providers: { deepgram: { baseUrl: `http://127.0.0.1:${port}` } } },
    });
    try {
      const user = await env.user();
      const pending = fetch(`${env.gateway.url}/v1/listen?model=transcription`, {
        method: "POST",
        headers: { authorization: `Token ${user.token}`, "content-type": "audio/wav" },
        body: new Uint8Array(1024),
      });
      await received.promise;
      await env.gateway.byok.users.revokeUser(user.id);
      const response = await pending;
      assert.equal(response.status, 401);
      const body = (await response.json()) as { err_code: string; code: string };
      assert.deepEqual(
        { err_code: body.err_code, code: body.code },
        { err_code: "invalid_credentials", code: "user_revoked" },
      );
      await upstreamClosed.promise;
    } finally {
      await env.close();
      deepgram.closeAllConnections();
      deepgram.close();
    }
  });
});

/**
 * @module test/security/cut-while-uploading
 * A request is checked on its headers, then its body arrives: a user revoked, or whose keys were replaced,
 * while that body is still arriving is not served (SPEC §9: revocation ends what is open). Before, the call
 * only entered the open-call registry once its body was whole, so such a cut missed it and the upstream got
 * the old key. A change the request's own checks already saw, a request served on the operator's key, and
 * another user's cut leave it alone; a revocation missed while the bus was away is caught by the resync.
 * The registry's own rules (its marks, the recheck after a resync, the memory of cuts) are checked directly.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, test } from "node:test";
import {
  CUT_MEMORY_MS,
  type CutMarks,
  createOpenCalls,
  isCut,
} from "../../src/pipeline/create-open-calls.ts";
import type { UserInvalidation } from "../../src/store/invalidation-bus.ts";
import { call, enroll } from "../support/gateway-client.ts";
import { type ModelGateway, startModelGateway } from "../support/model-gateway.ts";
import { ADMIN_TOKEN } from "../support/start-gateway.ts";

const K1 = "sk-user-openai-upload-first-000000000";
const K2 = "sk-user-openai-upload-second-11111111";
const BODY = JSON.stringify({ model: "summary", messages: [{ role: "user", content: "hi" }] });

interface Answer {
  readonly status: number;
  readonly json: { error?: { code?: string } };
}

describe("a cut while the request's body is still arriving", () => {
  let env: ModelGateway;
  before(async () => {
    env = await startModelGateway();
  });
  after(() => env.close());

  /**
   * Sends the headers and part of the body, waits until the gateway validated them, runs `change`, then
   * sends the rest; the answer, and the keys the fake provider received from then on.
   */
  async function uploadAround(
    token: string,
    change: () => Promise<void>,
    keys: Record<string, string> = { "x-byok-openai": K1 },
  ) {
    const { byok } = env.gateway;
    const validate = byok.validate;
    const validated = Promise.withResolvers<void>();
    byok.validate = async (...args) => {
      const result = await validate.apply(byok, args);
      validated.resolve();
      return result;
    };
    const url = new URL(`${env.gateway.url}/v1/chat/completions`);
    const answer = Promise.withResolvers<Answer>();
    const outgoing = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          "content-length": Buffer.byteLength(BODY),
          ...keys,
        },
      },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (piece: string) => {
          text += piece;
        });
        response.on("end", () => answer.resolve({ status: response.statusCode!, json: JSON.parse(text) }));
      },
    );
    outgoing.once("error", answer.reject);
    outgoing.write(BODY.slice(0, 10));
    try {
      await validated.promise;
    } finally {
      byok.validate = validate;
    }
    const sentBefore = env.fakes.openai.requests.length;
    await change();
    outgoing.end(BODY.slice(10));
    const result = await answer.promise;
    const upstreamKeys = env.fakes.openai.requests
      .slice(sentBefore)
      .map((sent) => sent.headers.authorization);
    return { ...result, upstreamKeys };
  }

  test("nothing changed: the call is served (the harness itself)", async () => {
    const user = await env.user({ openai: K1 });
    const result = await uploadAround(user.token, async () => {});
    assert.equal(result.status, 200);
    assert.deepEqual(result.upstreamKeys, [`Bearer ${K1}`]);
  });

  test("the user is revoked meanwhile: 401 user_revoked, nothing sent upstream", async () => {
    const user = await env.user({ openai: K1 });
    const result = await uploadAround(user.token, async () => {
      const revoked = await call(env.gateway, "DELETE", `/admin/users/${user.id}`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      assert.equal(revoked.status, 200);
    });
    assert.equal(result.status, 401);
    assert.equal(result.json.error?.code, "user_revoked");
    assert.deepEqual(result.upstreamKeys, []);
  });

  test("the keys are replaced meanwhile: enrollment_changed, the old key never sent", async () => {
    const user = await env.user({ openai: K1 });
    const result = await uploadAround(user.token, async () => {
      assert.equal((await enroll(env.gateway, user.token, { openai: K2 })).status, 200);
    });
    assert.equal(result.json.error?.code, "enrollment_changed");
    assert.ok(result.status >= 400, `refused (${result.status})`);
    assert.deepEqual(result.upstreamKeys, []);
  });

  test("keys replaced meanwhile, the request carrying none (operator-served): served, not cut", async () => {
    const user = await env.user({ openai: K1 });
    const result = await uploadAround(
      user.token,
      async () => {
        assert.equal((await enroll(env.gateway, user.token, { openai: K2 })).status, 200);
      },
      {},
    );
    assert.equal(result.status, 200, JSON.stringify(result.json));
    assert.equal(result.upstreamKeys.length, 1);
    assert.notEqual(result.upstreamKeys[0], `Bearer ${K1}`, "the operator's key, not the user's");
  });

  test("a user revoked while the bus was away (its message missed) is refused after the resync", async () => {
    const user = await env.user({ openai: K1 });
    const { byok } = env.gateway;
    const result = await uploadAround(user.token, async () => {
      // Revoked on another replica while this one's subscription was down: no message; then a resync.
      await byok.store.users.revoke(user.id, Date.now());
      // The Redis bus delivers a resync to its own process's listeners when its subscription comes back;
      // the in-process bus hands its listeners whatever it is given, so it stands in for that here.
      await byok.bus.publish({ topic: "resync" } as unknown as UserInvalidation);
    });
    assert.equal(result.status, 401);
    assert.equal(result.json.error?.code, "user_revoked");
    assert.deepEqual(result.upstreamKeys, []);
  });

  test("keys replaced while the token is read, the request carrying the new key: served", async () => {
    const user = await env.user({ openai: K1 });
    const { byok } = env.gateway;
    const authenticate = byok.authenticate;
    byok.authenticate = async (...args) => {
      byok.authenticate = authenticate;
      // The user's other device replaces the key while this request's token is read.
      assert.equal((await enroll(env.gateway, user.token, { openai: K2 })).status, 200);
      return authenticate.apply(byok, args);
    };
    const sentBefore = env.fakes.openai.requests.length;
    try {
      const answer = await call(env.gateway, "POST", "/v1/chat/completions", {
        headers: { authorization: `Bearer ${user.token}`, "x-byok-openai": K2 },
        body: { model: "summary", messages: [{ role: "user", content: "hi" }] },
      });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
    } finally {
      byok.authenticate = authenticate;
    }
    const sent = env.fakes.openai.requests.slice(sentBefore).map((request) => request.headers.authorization);
    assert.deepEqual(sent, [`Bearer ${K2}`]);
  });

  test("another user's cut meanwhile does not touch this call", async () => {
    const user = await env.user({ openai: K1 });
    const other = await env.user({ openai: K2 });
    const result = await uploadAround(user.token, async () => {
      const revoked = await call(env.gateway, "DELETE", `/admin/users/${other.id}`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      assert.equal(revoked.status, 200);
    });
    assert.equal(result.status, 200);
    assert.deepEqual(result.upstreamKeys, [`Bearer ${K1}`]);
  });
});

describe("the open-call registry's marks", () => {
  const caller = (userId: string) => ({ userId, via: "token" as const });
  const marksNow = (calls: ReturnType<typeof createOpenCalls>) => ({
    credentials: calls.mark(),
    keys: calls.mark(),
  });
  /** Opens (and closes) a call with `marks`, routed as `source` when given; its signal. */
  const opened = (
    calls: ReturnType<typeof createOpenCalls>,
    userId: string,
    marks?: CutMarks,
    source?: "byok" | "operator",
  ) => {
    const open = calls.open(caller(userId), new AbortController().signal, undefined, marks);
    if (source !== undefined) open.routed(source);
    open.close();
    return open.signal;
  };
  const codeOf = (signal: AbortSignal) => (signal.reason as { code?: string } | undefined)?.code;

  test("a revocation after the credentials' mark cuts the call at open; one before it does not", () => {
    const calls = createOpenCalls();
    const early = marksNow(calls);
    calls.cut("u", "user_revoked");
    const late = marksNow(calls);
    const signal = opened(calls, "u", early);
    assert.ok(isCut(signal));
    assert.equal(codeOf(signal), "user_revoked");
    assert.equal(opened(calls, "u", late).aborted, false, "a cut before the mark was seen by the checks");
    assert.equal(opened(calls, "u").aborted, false, "no marks: nothing remembered applies");
    assert.equal(opened(calls, "v", early).aborted, false, "another user");
  });

  test("an enrollment change after the keys' mark cuts the call once routed to the user's keys only", () => {
    const calls = createOpenCalls();
    const credentials = calls.mark();
    calls.cut("u", "enrollment_changed"); // while the token was read: the keys are read after it
    const marks = { credentials, keys: calls.mark() };
    assert.equal(opened(calls, "u", marks, "byok").aborted, false, "checked against the new enrollment");
    calls.cut("u", "enrollment_changed");
    assert.equal(opened(calls, "u", marks).aborted, false, "not routed yet: not cut");
    assert.equal(opened(calls, "u", marks, "operator").aborted, false, "the operator's key: not cut");
    assert.equal(codeOf(opened(calls, "u", marks, "byok")), "enrollment_changed");
  });

  test("a shutdown after the mark cuts every call that opens", () => {
    const calls = createOpenCalls();
    const marks = marksNow(calls);
    calls.cutAll("shutting_down");
    assert.equal(codeOf(opened(calls, "anyone", marks)), "shutting_down");
    assert.equal(opened(calls, "anyone", marksNow(calls)).aborted, false);
  });

  test("a resync asks calls checked before it to be rechecked, and only those", () => {
    const calls = createOpenCalls();
    const before = marksNow(calls);
    calls.resynced();
    const after = marksNow(calls);
    const stale = calls.open(caller("u"), new AbortController().signal, undefined, before);
    const fresh = calls.open(caller("u"), new AbortController().signal, undefined, after);
    const unmarked = calls.open(caller("u"), new AbortController().signal);
    assert.deepEqual([stale.recheck, fresh.recheck, unmarked.recheck], [true, false, false]);
    for (const open of [stale, fresh, unmarked]) open.close();
  });

  test("cuts are remembered for CUT_MEMORY_MS, then forgotten (the memory stays bounded)", () => {
    let now = 1_000_000;
    const calls = createOpenCalls({ now: () => now });
    const marks = marksNow(calls);
    calls.cut("u", "user_revoked");
    now += CUT_MEMORY_MS;
    assert.equal(opened(calls, "u", marks).aborted, true, "still within the memory");
    now += 1;
    assert.equal(opened(calls, "u", marks).aborted, false, "past it");
    for (let index = 0; index < 1000; index++) calls.cut(`user-${index}`, "enrollment_changed");
    assert.equal(calls.rememberedCuts, 1000, "the first of them forgot u, cut too long ago");
    now += CUT_MEMORY_MS + 1;
    calls.cut("last", "user_revoked"); // forgets what is older
    assert.equal(calls.rememberedCuts, 1);
    assert.equal(opened(calls, "user-0", marks, "byok").aborted, false);
    assert.equal(opened(calls, "last", marks).aborted, true);
  });
});

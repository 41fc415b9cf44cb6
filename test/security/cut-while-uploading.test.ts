/**
 * @module test/security/cut-while-uploading
 * A request is checked on its headers, then its body arrives: a user revoked, or whose keys were replaced,
 * while that body is still arriving is not served (SPEC §9: revocation ends what is open). Before, the call
 * only entered the open-call registry once its body was whole, so such a cut missed it and the upstream got
 * the old key. The registry's own rules (`mark`, `since`, the memory of cuts) are checked directly too.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, test } from "node:test";
import { CUT_MEMORY_MS, createOpenCalls, isCut } from "../../src/pipeline/create-open-calls.ts";
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
  async function uploadAround(token: string, change: () => Promise<void>) {
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
          "x-byok-openai": K1,
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
  const opened = (calls: ReturnType<typeof createOpenCalls>, userId: string, since?: number) => {
    const open = calls.open(caller(userId), new AbortController().signal, undefined, since);
    open.close();
    return open.signal;
  };

  test("a cut after the mark cuts the call at open, with the strongest reason; one before it does not", () => {
    const calls = createOpenCalls();
    const early = calls.mark();
    calls.cut("u", "enrollment_changed");
    const between = calls.mark();
    assert.equal((opened(calls, "u", early).reason as { code?: string }).code, "enrollment_changed");
    assert.equal(opened(calls, "u", between).aborted, false, "a cut before the mark was seen by the checks");
    calls.cut("u", "user_revoked");
    const signal = opened(calls, "u", early);
    assert.ok(isCut(signal));
    assert.equal((signal.reason as { code?: string }).code, "user_revoked", "revocation wins");
    assert.equal(opened(calls, "u").aborted, false, "no mark: nothing remembered applies");
    assert.equal(opened(calls, "v", early).aborted, false, "another user");
  });

  test("a shutdown after the mark cuts every call that opens", () => {
    const calls = createOpenCalls();
    const mark = calls.mark();
    calls.cutAll("shutting_down");
    assert.equal((opened(calls, "anyone", mark).reason as { code?: string }).code, "shutting_down");
    assert.equal(opened(calls, "anyone", calls.mark()).aborted, false);
  });

  test("cuts are remembered for CUT_MEMORY_MS, then forgotten (the memory stays bounded)", () => {
    let now = 1_000_000;
    const calls = createOpenCalls(() => now);
    const mark = calls.mark();
    calls.cut("u", "user_revoked");
    now += CUT_MEMORY_MS;
    assert.equal(opened(calls, "u", mark).aborted, true, "still within the memory");
    now += 1;
    assert.equal(opened(calls, "u", mark).aborted, false, "past it");
    for (let index = 0; index < 1000; index++) calls.cut(`user-${index}`, "enrollment_changed");
    assert.equal(calls.rememberedCuts, 1000, "the first of them forgot u, cut too long ago");
    now += CUT_MEMORY_MS + 1;
    calls.cut("last", "user_revoked"); // forgets what is older
    assert.equal(calls.rememberedCuts, 1);
    assert.equal(opened(calls, "user-0", mark).aborted, false);
    assert.equal(opened(calls, "last", mark).aborted, true);
  });
});

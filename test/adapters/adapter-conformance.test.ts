/**
 * One conformance suite run against every framework adapter: the guard (context, X-BYOK-Status, the
 * error envelope, route scoping) and the mounted BYOK endpoints, which must answer exactly as the
 * gateway's own `/v1/byok/*` and `/v1/usage` answer the same request.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { computeFingerprint } from "../../src/index.ts";
import { ADAPTERS, type AdapterApp, startAdapterApp } from "../support/adapter-apps.ts";
import { startGateway, type TestGateway } from "../support/start-gateway.ts";

interface Answer {
  readonly status: number;
  readonly byokStatus: string | null;
  readonly contentType: string | null;
  readonly authenticate: string | null;
  readonly body: unknown;
}

async function send(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, init);
  const text = await response.text();
  return {
    status: response.status,
    byokStatus: response.headers.get("x-byok-status"),
    contentType: response.headers.get("content-type")?.split(";")[0] ?? null,
    authenticate: response.headers.get("www-authenticate"),
    body: text === "" ? null : (JSON.parse(text) as unknown),
  };
}

const bearer = (token: string, extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${token}`,
  ...extra,
});

let gateway: TestGateway;
before(async () => {
  gateway = await startGateway({ config: { server: { bodyLimitBytes: 1024, maxJsonDepth: 16 } } });
});
after(() => gateway.close());

for (const adapter of ADAPTERS) {
  describe(`the ${adapter} adapter`, () => {
    let app: AdapterApp;
    const tokens: Record<string, string> = {};
    const user = (name: string) => `${adapter}-${name}`;
    before(async () => {
      app = await startAdapterApp(adapter, gateway.byok);
      for (const name of ["ann", "ben", "cat"]) {
        tokens[name] = (await gateway.byok.admin.users.create({ id: user(name) })).token;
      }
    });
    after(() => app.close());

    test("a user enrolls through the mounted endpoint; a guarded route sees the validated context", async () => {
      for (const name of ["ann", "ben"]) {
        const enrolled = await send(`${app.url}/api/v1/byok/enrollment`, {
          method: "PUT",
          headers: bearer(tokens[name]!, { "content-type": "application/json" }),
          body: JSON.stringify({ fingerprints: { openai: computeFingerprint(`sk-${name}`) } }),
        });
        assert.equal(enrolled.status, 200, JSON.stringify(enrolled.body));
        assert.equal((enrolled.body as { active: boolean }).active, true);
      }
      const me = await send(`${app.url}/guarded/me`, {
        headers: bearer(tokens.ann!, { "x-byok-openai": "sk-ann" }),
      });
      assert.equal(me.status, 200);
      assert.deepEqual(me.body, { userId: user("ann"), status: "active", accepted: ["openai"] });
      assert.equal(me.byokStatus, "active; accepted=openai");
    });

    test("concurrent requests of two users each see their own context only", async () => {
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, index) => {
          const name = index % 2 === 0 ? "ann" : "ben";
          return send(`${app.url}/guarded/me`, {
            headers: bearer(tokens[name]!, { "x-byok-openai": `sk-${name}` }),
          });
        }),
      );
      answers.forEach((answer, index) => {
        assert.equal((answer.body as { userId: string }).userId, user(index % 2 === 0 ? "ann" : "ben"));
      });
    });

    test("an unguarded route answers without auth and outside any context", async () => {
      const open = await send(`${app.url}/open`);
      assert.equal(open.status, 200);
      assert.deepEqual(open.body, { open: true, context: null });
      assert.equal(open.byokStatus, null);
    });

    test("no token, a bad token and a mismatched key get the error envelope", async () => {
      const missing = await send(`${app.url}/guarded/me`);
      assert.equal(missing.status, 401);
      assert.equal(missing.authenticate, "Bearer");
      assert.equal((missing.body as { error: { type: string } }).error.type, "missing_credentials");
      const bad = await send(`${app.url}/guarded/me`, { headers: bearer("bgt_not-a-real-token") });
      assert.equal(bad.status, 401);
      assert.equal(bad.contentType, "application/json");
      assert.equal((bad.body as { error: { type: string } }).error.type, "invalid_credentials");
      const mismatch = await send(`${app.url}/guarded/me`, {
        headers: bearer(tokens.ann!, { "x-byok-openai": "sk-ben" }),
      });
      assert.equal(mismatch.status, 403);
      assert.equal(mismatch.byokStatus, "rejected; mismatched=openai");
      assert.deepEqual(mismatch.body, {
        error: {
          message:
            "The openai key does not match the fingerprint enrolled for it; re-enroll the key or send the enrolled one.",
          type: "byok_key_mismatch",
          param: "x-byok-openai",
          code: null,
          provider: "openai",
        },
      });
    });

    test("the mounted endpoints answer exactly as the gateway's own", async () => {
      const json = { "content-type": "application/json" };
      const deep = `${"[".repeat(40)}${"]".repeat(40)}`;
      const cases: Array<[string, string, RequestInit]> = [
        ["GET", "/v1/byok/enrollment", {}],
        ["GET", "/v1/byok/enrollment", { headers: bearer("bgt_wrong") }],
        ["GET", "/v1/byok/enrollment", { headers: bearer(tokens.ann!) }],
        // A recovery path: the stale key is stripped, never a reason to refuse.
        ["GET", "/v1/byok/enrollment", { headers: bearer(tokens.ann!, { "x-byok-openai": "sk-stale" }) }],
        [
          "PUT",
          "/v1/byok/enrollment",
          { headers: bearer(tokens.ann!, json), body: '{"fingerprints":{"openai":"ABC"}}' },
        ],
        [
          "PUT",
          "/v1/byok/enrollment",
          { headers: bearer(tokens.ann!, json), body: '{"fingerprints":{"nope":"x"}}' },
        ],
        ["PUT", "/v1/byok/enrollment", { headers: bearer(tokens.ann!, json), body: "{not json" }],
        ["PUT", "/v1/byok/enrollment", { headers: bearer(tokens.ann!, json), body: deep }],
        ["PUT", "/v1/byok/enrollment", { headers: bearer(tokens.ann!, json), body: '{"__proto__":{"x":1}}' }],
        [
          "PUT",
          "/v1/byok/enrollment",
          { headers: bearer(tokens.ann!, { "content-type": "text/plain" }), body: "hi" },
        ],
        [
          "PUT",
          "/v1/byok/enrollment",
          { headers: bearer(tokens.ann!, json), body: JSON.stringify({ pad: "x".repeat(2000) }) },
        ],
        ["PUT", "/v1/byok/enrollment", { headers: bearer(tokens.ann!) }],
        ["POST", "/v1/byok/heartbeat", { headers: bearer(tokens.ann!, { "x-byok-openai": "sk-ann" }) }],
        ["POST", "/v1/byok/heartbeat", { headers: bearer(tokens.cat!) }],
        ["GET", "/v1/byok/routes", { headers: bearer(tokens.ann!, { "x-byok-openai": "sk-ann" }) }],
        ["GET", "/v1/usage", { headers: bearer(tokens.ann!, { "x-byok-openai": "sk-stale" }) }],
        ["POST", "/v1/byok/verify", { headers: bearer(tokens.ann!) }],
        ["DELETE", "/v1/byok/enrollment", { headers: bearer(tokens.cat!) }],
      ];
      for (const [method, path, init] of cases) {
        const label = `${method} ${path} ${JSON.stringify(init.headers ?? {})} ${String(init.body ?? "").slice(0, 40)}`;
        const own = await send(`${gateway.url}${path}`, { method, ...init });
        const mounted = await send(`${app.url}/api${path}`, { method, ...init });
        assert.deepEqual(mounted, own, label);
      }
    });

    test("a user deletes the enrollment through the mounted endpoint; their keys are then dropped", async () => {
      const removed = await send(`${app.url}/api/v1/byok/enrollment`, {
        method: "DELETE",
        headers: bearer(tokens.ben!),
      });
      assert.equal(removed.status, 200);
      assert.equal((removed.body as { active: boolean }).active, false);
      const me = await send(`${app.url}/guarded/me`, {
        headers: bearer(tokens.ben!, { "x-byok-openai": "sk-ben" }),
      });
      assert.deepEqual(me.body, { userId: user("ben"), status: "inactive", accepted: [] });
    });

    test("paths beside the endpoints are not answered by them", async () => {
      const other = await fetch(`${app.url}/api/v1/byok/nothing`, { headers: bearer(tokens.ann!) });
      assert.equal(other.status, 404);
      await other.arrayBuffer();
    });
  });
}

import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { setImmediate as nextTurn } from "node:timers/promises";
import { computeFingerprint } from "../../src/keys/index.ts";
import {
  type Byok,
  createByok,
  createNodeMiddleware,
  currentContext,
  requireContext,
} from "../../src/library/index.ts";
import { createLogger } from "../../src/telemetry/index.ts";
import { captureLogs, createTempDir, TEST_PEPPER } from "../support/start-gateway.ts";

describe("library mode", () => {
  let byok: Byok;
  const tokens: Record<string, string> = {};
  before(async () => {
    byok = await createByok({
      config: { pepper: TEST_PEPPER, dataDir: createTempDir() },
      logger: createLogger({ level: "silent", destination: captureLogs().destination }),
    });
    for (const name of ["ann", "ben"]) {
      tokens[name] = (await byok.users.addUser(name, null)).token;
      await byok.enrollment.enroll(name, { fingerprints: { openai: computeFingerprint(`sk-${name}`) } });
    }
  });
  after(() => byok.close());

  test("interleaved contexts never see each other's keys", async () => {
    const seen: string[] = [];
    const handle = async (name: string) => {
      const context = await byok.handle({
        authorization: `Bearer ${tokens[name]}`,
        "x-byok-openai": `sk-${name}`,
      });
      return byok.run(context, async () => {
        for (let i = 0; i < 5; i++) {
          await nextTurn();
          const current = requireContext();
          assert.equal(current.principal.userId, name);
          assert.equal(current.byok.keys.openai?.fingerprint(), computeFingerprint(`sk-${name}`));
          seen.push(name);
        }
      });
    };
    await Promise.all([handle("ann"), handle("ben"), handle("ann"), handle("ben")]);
    assert.equal(seen.length, 20);
    assert.ok(seen.slice(0, 4).includes("ben") && seen.slice(0, 4).includes("ann"), "the runs interleaved");
    assert.equal(currentContext(), undefined, "no context leaks outside run()");
  });

  test("the context is immutable", async () => {
    const context = await byok.handle({ authorization: `Bearer ${tokens.ann}`, "x-byok-openai": "sk-ann" });
    assert.throws(() => {
      (context.byok.keys as Record<string, unknown>).openai = "sk-stolen";
    }, TypeError);
    assert.throws(() => {
      (context.byok as { status: string }).status = "none";
    }, TypeError);
  });

  test("a mismatch rejects through the library with the 403 type", async () => {
    await assert.rejects(byok.handle({ authorization: `Bearer ${tokens.ann}`, "x-byok-openai": "sk-ben" }), {
      type: "byok_key_mismatch",
      status: 403,
      provider: "openai",
    });
  });

  test("the Node middleware runs the next handler inside the context and answers errors in the envelope", async () => {
    const middleware = createNodeMiddleware(byok);
    const server = createServer((request, response) => {
      middleware(request, response, (error) => {
        if (error) {
          response.statusCode = 500;
          response.end();
          return;
        }
        setImmediate(() => response.end(JSON.stringify({ user: requireContext().principal.userId })));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const ok = await fetch(url, {
        headers: { authorization: `Bearer ${tokens.ben}`, "x-byok-openai": "sk-ben" },
      });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get("x-byok-status"), "active; accepted=openai");
      assert.deepEqual(await ok.json(), { user: "ben" });
      const mismatch = await fetch(url, {
        headers: { authorization: `Bearer ${tokens.ben}`, "x-byok-openai": "sk-ann" },
      });
      assert.equal(mismatch.status, 403);
      assert.equal(((await mismatch.json()) as { error: { type: string } }).error.type, "byok_key_mismatch");
      const anonymous = await fetch(url);
      assert.equal(anonymous.status, 401);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

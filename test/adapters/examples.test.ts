/**
 * The examples under examples/, run as an app runs them (importing `byok-gateway` by its package name,
 * resolved to this repository's sources): a user signs up and enrolls through the mounted endpoint, a
 * guarded route answers with the validated context, an open route without auth, a bad token and a
 * mismatched key get the error envelope.
 */
import "../support/source-package.ts";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { computeFingerprint } from "../../src/index.ts";
import { serveFetch } from "../support/serve-fetch.ts";
import { spawnGateway } from "../support/spawn-gateway.ts";
import { createTempDir, TEST_PEPPER } from "../support/start-gateway.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const hooks = fileURLToPath(new URL("../support/source-package.ts", import.meta.url));
/** An example's module, by path (a computed specifier: the examples are type-checked by examples/tsconfig.json). */
const example = (path: string): Promise<unknown> =>
  import(new URL(`../../examples/${path}`, import.meta.url).href);
const dataDirs: string[] = [];
const environment = () => {
  const dataDir = createTempDir();
  dataDirs.push(dataDir);
  return { BYOK_PEPPER: TEST_PEPPER, BYOK_DATA_DIR: dataDir, BYOK_LOG_LEVEL: "silent", PORT: "0" };
};
after(() => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

/** The walk every example must pass; `enrollment` is where the app mounted the endpoints. */
async function walk(url: string, enrollment: string): Promise<void> {
  const health = await fetch(`${url}/health`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { ok: true });

  const signup = await fetch(`${url}/signup`, { method: "POST" });
  assert.equal(signup.status, 201);
  const { id, token } = (await signup.json()) as { id: string; token: string };
  const authorization = `Bearer ${token}`;

  const enrolled = await fetch(`${url}${enrollment}`, {
    method: "PUT",
    headers: { authorization, "content-type": "application/json" },
    body: JSON.stringify({ fingerprints: { openai: computeFingerprint("sk-example-key") } }),
  });
  assert.equal(enrolled.status, 200);
  assert.equal(((await enrolled.json()) as { active: boolean }).active, true);

  const keys = await fetch(`${url}/api/keys`, {
    headers: { authorization, "x-byok-openai": "sk-example-key" },
  });
  assert.equal(keys.status, 200);
  assert.equal(keys.headers.get("x-byok-status"), "active; accepted=openai");
  assert.deepEqual(await keys.json(), { userId: id, providers: ["openai"] });

  const badToken = await fetch(`${url}/api/keys`, { headers: { authorization: "Bearer not-a-token" } });
  assert.equal(badToken.status, 401);
  assert.equal(((await badToken.json()) as { error: { type: string } }).error.type, "invalid_credentials");

  const mismatch = await fetch(`${url}/api/keys`, {
    headers: { authorization, "x-byok-openai": "sk-someone-else" },
  });
  assert.equal(mismatch.status, 403);
  assert.equal(((await mismatch.json()) as { error: { type: string } }).error.type, "byok_key_mismatch");
}

describe("examples, started as apps start them", () => {
  for (const name of ["express", "fastify"]) {
    test(`examples/${name}/server.ts`, async () => {
      const app = await spawnGateway({
        args: ["--import", hooks, `${root}examples/${name}/server.ts`],
        env: environment(),
        cwd: root,
      });
      try {
        await walk(app.url, "/v1/byok/enrollment");
      } finally {
        assert.equal(await app.stop(), 0, app.logs.slice(-10).join("\n"));
      }
    });
  }

  test("examples/hono/app.ts (its default export served as a fetch handler)", async () => {
    Object.assign(process.env, environment());
    const hono = (await example("hono/app.ts")) as {
      default: { fetch(request: Request): Response | Promise<Response> };
      byok: { close(): Promise<void> };
    };
    const served = await serveFetch((request) => hono.default.fetch(request));
    try {
      await walk(served.url, "/v1/byok/enrollment");
    } finally {
      await served.close();
      await hono.byok.close();
    }
  });

  test("examples/nextjs route handlers (routed by file path, as Next.js routes them)", async () => {
    Object.assign(process.env, environment());
    type Route = Partial<Record<string, (request: Request) => Response | Promise<Response>>>;
    const load = async (path: string) => (await example(`nextjs/app/${path}/route.ts`)) as Route;
    const routes: Array<[RegExp, Route]> = [
      [/^\/api\/byok\/.+$/, await load("api/byok/[...path]")],
      [/^\/api\/keys$/, await load("api/keys")],
      [/^\/signup$/, await load("signup")],
      [/^\/health$/, await load("health")],
    ];
    const served = await serveFetch((request) => {
      const { pathname } = new URL(request.url);
      const handler = routes.find(([pattern]) => pattern.test(pathname))?.[1][request.method];
      return handler === undefined ? new Response(null, { status: 404 }) : handler(request);
    });
    const { byok } = (await example("nextjs/lib/byok.ts")) as {
      byok: { close(): Promise<void> };
    };
    try {
      await walk(served.url, "/api/byok/v1/byok/enrollment");
    } finally {
      await served.close();
      await byok.close();
    }
  });
});

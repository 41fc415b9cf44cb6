/**
 * @module test/http/lazy-schema-compilers
 * A serving gateway (its routes and `/metrics`' own listener) never loads Fastify's schema compilers, and a route
 * that declares a schema still gets them as Fastify's defaults behave: its body validated, its answer serialized
 * by the schema, a header schema's names matched whatever their case (in a child plugin too).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { test } from "node:test";
import { keepDefaultValidation, lazySchemaController } from "../../src/http/lazy-schema-compilers.ts";
import { startGateway } from "../support/start-gateway.ts";

const CHILD = `
const { startGateway } = await import(${JSON.stringify(new URL("../support/start-gateway.ts", import.meta.url).href)});
const gateway = await startGateway({ config: { metrics: { port: 0 } } });
const healthy = (await fetch(gateway.url + "/healthz")).status;
const { createRequire } = await import("node:module");
const loaded = Object.keys(createRequire(import.meta.url).cache)
  .filter((path) => /\\/node_modules\\/(ajv|@fastify\\/ajv-compiler|@fastify\\/fast-json-stringify-compiler)\\//.test(path));
await gateway.close();
console.log(JSON.stringify({ healthy, loaded }));
`;

test("a serving gateway loads neither Ajv nor the fast-json-stringify compiler", () => {
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", CHILD], {
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(child.status, 0, child.stderr);
  const { healthy, loaded } = JSON.parse(child.stdout.trim().split("\n").at(-1)!) as {
    healthy: number;
    loaded: string[];
  };
  assert.equal(healthy, 200);
  assert.deepEqual(loaded, []);
});

test("a route with a schema gets Fastify's compilers: its body validated, its answer serialized", async (t) => {
  const gateway = await startGateway({
    routes: (app) =>
      app.post(
        "/test/schema",
        {
          schema: {
            body: {
              type: "object",
              required: ["n"],
              properties: { n: { type: "integer", minimum: 1 } },
            },
            response: { 200: { type: "object", properties: { doubled: { type: "integer" } } } },
          },
        },
        async (request) => ({ doubled: (request.body as { n: number }).n * 2, hidden: "dropped" }),
      ),
  });
  t.after(() => gateway.close());
  const post = (body: unknown) =>
    fetch(`${gateway.url}/test/schema`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const valid = await post({ n: 21 });
  assert.equal(valid.status, 200);
  assert.deepEqual(await valid.json(), { doubled: 42 }, "serialized by the response schema");
  assert.equal((await post({ n: 0 })).status, 400, "validated by the body schema");
  assert.equal((await post({})).status, 400);
});

test("a header schema's names match the request's headers whatever their case, as with Fastify's defaults", async (t) => {
  const headerSchema = {
    schema: {
      headers: {
        type: "object",
        required: ["X-Probe-Key"],
        properties: { "X-Probe-Key": { type: "string" } },
      },
    },
  };
  const gateway = await startGateway({
    routes: (app) => {
      app.get("/test/header", headerSchema, async () => ({ ok: true }));
      app.register(async (child) => {
        child.get("/test/child-header", headerSchema, async () => ({ ok: true }));
      });
    },
  });
  t.after(() => gateway.close());
  for (const path of ["/test/header", "/test/child-header"]) {
    const sent = await fetch(`${gateway.url}${path}`, { headers: { "X-Probe-Key": "k" } });
    assert.equal(sent.status, 200, `${path}: ${await sent.text()}`);
    assert.equal((await fetch(`${gateway.url}${path}`)).status, 400, `${path} without the header`);
  }
});

test("the default-validator mark: cleared through Fastify's own symbol, left as it is when Fastify's internals moved", async () => {
  const Fastify = (await import("fastify")).default;
  const fromFastify = createRequire(createRequire(import.meta.url).resolve("fastify"));
  const { kSchemaController } = fromFastify("./lib/symbols.js") as { kSchemaController: symbol };
  const markOf = (app: object) =>
    (app as Record<symbol, { isCustomValidatorCompiler: boolean }>)[kSchemaController]!
      .isCustomValidatorCompiler;
  const missing = () => {
    throw Object.assign(new Error("Cannot find module './lib/symbols.js'"), { code: "MODULE_NOT_FOUND" });
  };
  for (const [load, mark] of [
    [fromFastify, false],
    [missing, true],
    [() => ({}), true],
  ] as const) {
    const app = Fastify({ schemaController: lazySchemaController() });
    assert.equal(markOf(app), true, "Fastify takes any buildValidator for a custom one");
    assert.doesNotThrow(() => keepDefaultValidation(app, load));
    assert.equal(markOf(app), mark);
    app.get("/ok", async () => ({ ok: true }));
    assert.equal(
      (await app.inject({ method: "GET", url: "/ok" })).statusCode,
      200,
      "the server still starts",
    );
    await app.close();
  }
});

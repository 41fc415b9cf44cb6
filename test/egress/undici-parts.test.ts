/**
 * @module test/egress/undici-parts
 * The parts of undici the gateway loads from their own files are the very objects undici's index exports (an
 * undici update that moves one fails here), and loading the serve command loads neither undici's index nor
 * Node's own undici (no web global read, no ESM import of node:http) yet gives pools their request API, and guarded fetch works on its first call.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import * as undici from "undici";
import { createEgressPolicy, createGuardedFetch } from "../../src/egress/index.ts";
import * as parts from "../../src/egress/undici-parts.ts";
import { loadUndiciParts } from "../../src/egress/undici-parts.ts";

test("each part is the object undici's index exports", () => {
  assert.equal(parts.Pool, undici.Pool);
  assert.equal(parts.Agent, undici.Agent);
  assert.equal(parts.buildConnector, undici.buildConnector);
  assert.equal(parts.errors, undici.errors);
  assert.equal(parts.util.parseHeaders, undici.util.parseHeaders);
  assert.equal(parts.util.headerNameToString, undici.util.headerNameToString);
  for (const method of ["request", "stream", "pipeline", "connect", "upgrade"] as const)
    assert.equal(parts.Pool.prototype[method], undici.Pool.prototype[method], method);
  assert.ok(new parts.errors.RequestAbortedError() instanceof undici.errors.UndiciError);
});

test("a moved or changed undici file falls back to undici's index, whole", () => {
  const index = createRequire(import.meta.url)("undici") as typeof undici;
  const missing = (id: string) => {
    if (id !== "undici")
      throw Object.assign(new Error(`Cannot find module '${id}'`), { code: "MODULE_NOT_FOUND" });
    return index;
  };
  const changed = (id: string) => (id === "undici" ? index : {});
  for (const load of [missing, changed]) {
    const fallback = loadUndiciParts(load);
    assert.equal(fallback.Pool, index.Pool);
    assert.equal(fallback.Agent, index.Agent);
    assert.equal(fallback.buildConnector, index.buildConnector);
    assert.equal(fallback.errors, index.errors);
    assert.equal(fallback.util, index.util);
  }
});

const CHILD = `
await import(${JSON.stringify(new URL("../../src/cli/run-cli.ts", import.meta.url).href)});
await import(${JSON.stringify(new URL("../../src/server.ts", import.meta.url).href)});
const { createRequire } = await import("node:module");
const files = Object.keys(createRequire(import.meta.url).cache).filter((path) => path.includes("/node_modules/undici/"));
const { Pool } = await import(${JSON.stringify(new URL("../../src/egress/undici-parts.ts", import.meta.url).href)});
const methods = ["request", "stream", "pipeline", "connect", "upgrade"].filter((name) => typeof Pool.prototype[name] === "function");
// Node's own undici is a builtin: its load shows in the builtin load list however it was reached (a web global
// read, even by Object.getOwnPropertyDescriptor, or an ESM import of node:http, whose namespace reads that
// module's lazy WebSocket getters). What loaded just before it names the way in.
const at = process.moduleLoadList.findIndex((name) => name.includes("deps/undici"));
const bundled = at < 0 ? [] : process.moduleLoadList.slice(Math.max(0, at - 6), at + 1);
console.log(JSON.stringify({ bundled, methods, files: files.map((path) => path.slice(path.indexOf("/node_modules/undici/") + 21)) }));
`;

test("the serve command's modules load neither undici's index nor Node's own undici", () => {
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", CHILD], {
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(child.status, 0, child.stderr);
  const { bundled, methods, files } = JSON.parse(child.stdout.trim().split("\n").at(-1)!) as {
    bundled: string[];
    methods: string[];
    files: string[];
  };
  assert.deepEqual(
    methods,
    ["request", "stream", "pipeline", "connect", "upgrade"],
    "a pool's API, as the index installs it",
  );
  assert.deepEqual(bundled, [], "Node's own undici is not loaded (the list ends with it)");
  assert.ok(files.includes("lib/dispatcher/pool.js"), files.join(" "));
  assert.ok(!files.includes("index.js"), "undici's index");
  assert.ok(!files.some((file) => file.startsWith("lib/web/")), files.join(" "));
});

test("guarded fetch loads undici's fetch on its first call and answers", async (t) => {
  const server = createServer((_request, response) => response.end("fetched"));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  t.after(() => server.close());
  const guarded = createGuardedFetch(
    createEgressPolicy({ allowCidrs: ["127.0.0.1"], allowHttpHosts: ["127.0.0.1"] }),
  );
  t.after(() => guarded.close());
  const { port } = server.address() as AddressInfo;
  const response = await guarded(`http://127.0.0.1:${port}/`);
  assert.equal(response.status, 200);
  assert.equal(await response.text(), "fetched");
});

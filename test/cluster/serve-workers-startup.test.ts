/**
 * @module test/cluster/serve-workers-startup
 * Starting `serve --workers N` wrong: a bad `--workers` is a usage error, `BYOK_WORKERS` is read and
 * checked like any setting, and workers that cannot listen (the port is taken) make the primary exit
 * non-zero with no worker left behind, instead of replacing them forever.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { loadConfig } from "../../src/config/index.ts";
import { MAIN, runCli } from "../support/run-cli.ts";
import { createTempDir, TEST_PEPPER } from "../support/start-gateway.ts";

test("--workers must be a whole number from 1", async () => {
  for (const value of ["0", "two", "1025"]) {
    const result = await runCli(["serve", "--workers", value]);
    assert.equal(result.code, 2, value);
    assert.match(result.stderr, /--workers must be a whole number from 1 to 1024/);
  }
});

test("BYOK_WORKERS sets server.workers, and a bad value names the variable", () => {
  assert.equal(loadConfig({ env: { BYOK_WORKERS: "3" } }).server.workers, 3);
  assert.equal(loadConfig({ env: {} }).server.workers, undefined);
  assert.throws(() => loadConfig({ env: { BYOK_WORKERS: "0" } }), /server\.workers \(from BYOK_WORKERS\)/);
});

test("workers that cannot listen: the primary exits 1 and no worker is left", {
  timeout: 90_000,
}, async (t) => {
  const taken = createServer().listen(0, "127.0.0.1");
  await once(taken, "listening");
  t.after(() => taken.close());
  const { port } = taken.address() as { port: number };
  const dataDir = createTempDir("byok-workers-port-");
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const configFile = join(dataDir, "config.json");
  writeFileSync(configFile, JSON.stringify({ dataDir, server: { host: "127.0.0.1", port } }));
  const child = spawn(process.execPath, [MAIN, "serve", "--config", configFile, "--workers", "2"], {
    env: { PATH: process.env.PATH ?? "", BYOK_PEPPER: TEST_PEPPER },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk;
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk;
  });
  const [code] = (await once(child, "exit")) as [number | null];
  assert.equal(code, 1, output);
  assert.match(output, /a worker exited before listening: not starting/);
  const workerPids = [...output.matchAll(/"workerPid":(\d+)/g)].map((match) => Number(match[1]));
  assert.ok(workerPids.length > 0, output);
  for (const pid of new Set(workerPids)) {
    assert.throws(() => process.kill(pid, 0), /ESRCH/, `worker ${pid} is gone`);
  }
});

/**
 * @module bench/startup.bench
 * What the start path's re-execution costs (docs/benchmarks.md): the built gateway's time from spawn to its
 * first `/healthz` answer, started plainly (`serve` re-executes itself with the V8 defaults) and with the
 * defaults already in NODE_OPTIONS (no re-execution), alternated, 8 starts each.
 */
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RUNTIME_DEFAULTS } from "../src/cli/apply-runtime-defaults.ts";
import { median } from "./http-load.ts";

const STARTS = 8;
const root = fileURLToPath(new URL("../", import.meta.url));
const build = spawnSync(
  process.execPath,
  [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"],
  {
    cwd: root,
    stdio: "inherit",
  },
);
if (build.status !== 0) throw new Error("the build failed");
const dataDir = mkdtempSync(join(tmpdir(), "byok-startup-bench-"));

/** Milliseconds from spawn to the first 200 from /healthz. */
async function timeToHealthy(port: number, nodeOptions: string | undefined): Promise<number> {
  const configFile = join(dataDir, "config.json");
  writeFileSync(
    configFile,
    JSON.stringify({ dataDir, log: { level: "warn" }, server: { port, host: "127.0.0.1" } }),
  );
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  if (nodeOptions !== undefined) env.NODE_OPTIONS = nodeOptions;
  const started = performance.now();
  const child = spawn(process.execPath, [join(root, "dist/main.js"), "serve", "--config", configFile], {
    env,
    stdio: "ignore",
  });
  try {
    for (;;) {
      if (
        await fetch(`http://127.0.0.1:${port}/healthz`).then(
          (response) => response.ok,
          () => false,
        )
      )
        return performance.now() - started;
      if (child.exitCode !== null) throw new Error("the gateway exited while starting");
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  } finally {
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    await exited;
  }
}

const plain: number[] = [];
const given: number[] = [];
try {
  for (let index = 0; index < STARTS; index++) {
    plain.push(await timeToHealthy(19_400 + 2 * index, undefined));
    given.push(await timeToHealthy(19_401 + 2 * index, RUNTIME_DEFAULTS.join(" ")));
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
const show = (values: number[]) =>
  `median ${median(values).toFixed(0)} ms (${values.map((value) => value.toFixed(0)).join(", ")})`;
console.log(`start to first /healthz, ${STARTS} starts each, load average ${loadavg()[0]!.toFixed(2)}:`);
console.log(`  serve re-executes itself with ${RUNTIME_DEFAULTS.join(" ")}: ${show(plain)}`);
console.log(`  the defaults already in NODE_OPTIONS (no re-execution): ${show(given)}`);
console.log(`  re-execution costs ${(median(plain) - median(given)).toFixed(0)} ms at the median`);

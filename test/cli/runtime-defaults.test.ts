/**
 * @module test/cli/runtime-defaults
 * `serve` runs with the V8 settings the benchmarks measured (docs/deployment.md, "Memory") however it is
 * started, in the same process; an operator's own NODE_OPTIONS setting wins; other commands never re-execute.
 */
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  missingRuntimeDefaults,
  missingRuntimeEnvironment,
  RUNTIME_DEFAULTS,
  RUNTIME_ENVIRONMENT,
  runsServe,
} from "../../src/cli/apply-runtime-defaults.ts";
import { spawnGateway } from "../support/spawn-gateway.ts";
import { ADMIN_TOKEN, createTempDir, TEST_PEPPER } from "../support/start-gateway.ts";

const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));

/** The command line a running process was (re-)executed with, from Linux's /proc. */
const commandLineOf = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").slice(0, -1);

const GROWING = "--heap-growing-percent=100";

test("a default is missing only when neither Node's arguments nor NODE_OPTIONS name its option", () => {
  assert.deepEqual(RUNTIME_DEFAULTS, ["--max-semi-space-size=4", GROWING]);
  assert.deepEqual(missingRuntimeDefaults([], undefined), RUNTIME_DEFAULTS);
  assert.deepEqual(missingRuntimeDefaults(["--max-semi-space-size=16"], undefined), [GROWING]);
  assert.deepEqual(missingRuntimeDefaults([], "--max-old-space-size=512  --max_semi_space_size=8"), [
    GROWING,
  ]);
  assert.deepEqual(
    missingRuntimeDefaults(["--heap_growing_percent=50", "--max-semi-space-size=16"], undefined),
    [],
  );
  assert.deepEqual(missingRuntimeDefaults(["--cpu-prof"], "--max-old-space-size=512"), RUNTIME_DEFAULTS);
});

test("an operator's --max-heap-size sizes the young generation: the semi-space default is not added", () => {
  // V8 aborts at start when --max-heap-size, --max-old-space-size and --max-semi-space-size are all set.
  const sized = ["--max-heap-size=512", "--max-old-space-size=400"];
  assert.deepEqual(missingRuntimeDefaults(sized, undefined), [GROWING]);
  assert.deepEqual(missingRuntimeDefaults([], "--max_heap_size=512"), [GROWING]);
});

test("only `serve` (named or the default command) gets the defaults; help, version and others do not", () => {
  assert.equal(runsServe([]), true);
  assert.equal(runsServe(["serve", "--config", "x.yaml", "--workers", "2"]), true);
  assert.equal(runsServe(["--config", "serve.yaml"]), true);
  assert.equal(runsServe(["serve", "--help"]), false);
  assert.equal(runsServe(["--version"]), false);
  assert.equal(runsServe(["users", "list"]), false);
  assert.equal(runsServe(["--config", "serve"]), true, "a value is not the command");
  assert.equal(runsServe(["--unknown-option"]), false, "a usage error is left to the command");
});

/** The environment a running process was (re-)executed with, from Linux's /proc. */
const environmentOf = (pid: number) =>
  Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, "utf8")
      .split("\0")
      .filter(Boolean)
      .map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]),
  ) as Record<string, string>;

test("an environment default is missing only when the variable is not set at all", () => {
  assert.deepEqual(missingRuntimeEnvironment({}), RUNTIME_ENVIRONMENT);
  assert.deepEqual(missingRuntimeEnvironment({ MALLOC_ARENA_MAX: "4" }), {});
  assert.deepEqual(
    missingRuntimeEnvironment({ MALLOC_ARENA_MAX: "" }),
    {},
    "set empty: the operator's choice",
  );
});

async function servedProcess(
  env: Readonly<Record<string, string>>,
): Promise<{ commandLine: string[]; environment: Record<string, string> }> {
  let environment: Record<string, string> = {};
  const commandLine = await servedCommandLine(env, (pid) => {
    environment = environmentOf(pid);
  });
  return { commandLine, environment };
}

async function servedCommandLine(
  env: Readonly<Record<string, string>>,
  inspect?: (pid: number) => void,
  nodeArgs: readonly string[] = [],
): Promise<string[]> {
  const dataDir = createTempDir("byok-runtime-defaults-");
  const gateway = await spawnGateway({
    args: [...nodeArgs, MAIN, "serve"],
    // From the TypeScript sources on a shared machine: a start can take long under load.
    startTimeoutMs: 120_000,
    env: {
      BYOK_PEPPER: TEST_PEPPER,
      BYOK_ADMIN_TOKEN: ADMIN_TOKEN,
      BYOK_DATA_DIR: dataDir,
      BYOK_PORT: "0",
      ...env,
    },
  });
  try {
    const health = await fetch(new URL("/healthz", gateway.url));
    assert.equal(health.status, 200);
    // The pid the test spawned is the one serving: re-executed in place, not a child left behind.
    inspect?.(gateway.child.pid!);
    return commandLineOf(gateway.child.pid!);
  } finally {
    assert.equal(await gateway.stop("SIGTERM"), 0);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

test("`node src/main.ts serve` (npm start) serves in the same process with the defaults on its command line", async () => {
  const commandLine = await servedCommandLine({});
  for (const flag of RUNTIME_DEFAULTS) assert.ok(commandLine.includes(flag), commandLine.join(" "));
  assert.equal(commandLine.indexOf(MAIN), 1 + RUNTIME_DEFAULTS.length, "Node's flags before the script");
  assert.deepEqual(commandLine.slice(-1), ["serve"], "the command's own arguments unchanged");
});

test("an operator's NODE_OPTIONS setting of the same option wins: only the other defaults are added", async () => {
  const commandLine = await servedCommandLine({ NODE_OPTIONS: "--max-semi-space-size=8" });
  assert.deepEqual(commandLine.slice(1), [GROWING, MAIN, "serve"]);
});

test("an operator who sets every option on Node's command line gets no re-execution", async () => {
  const own = ["--heap-growing-percent=50", "--max-semi-space-size=8"];
  const commandLine = await servedCommandLine({ MALLOC_ARENA_MAX: "2" }, undefined, own);
  assert.deepEqual(commandLine.slice(1), [...own, MAIN, "serve"]);
});

test("`serve` runs with the environment defaults, and an operator's own value of one wins", async () => {
  const defaults = await servedProcess({});
  for (const [name, value] of Object.entries(RUNTIME_ENVIRONMENT))
    assert.equal(defaults.environment[name], value, name);
  const operator = await servedProcess({ MALLOC_ARENA_MAX: "8", NODE_OPTIONS: "--max-semi-space-size=8" });
  assert.equal(operator.environment.MALLOC_ARENA_MAX, "8");
  assert.deepEqual(operator.commandLine.slice(1), [GROWING, MAIN, "serve"], "the operator's semi-space kept");
});

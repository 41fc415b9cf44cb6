/**
 * @module cli/apply-runtime-defaults
 * The Node/V8 settings the gateway's measured figures depend on (docs/deployment.md, "Memory"), applied by
 * its own start path: `serve` without them re-executes itself in place (same pid) with them added.
 */
import { parseArgs } from "node:util";
import { CLI_OPTIONS } from "./cli-options.ts";

/**
 * Each flag `serve` runs with unless the operator set that V8 option themselves (on Node's command line;
 * NODE_OPTIONS takes the first only). `--max-semi-space-size=4`: a 4 MiB young generation.
 * `--heap-growing-percent=100`: the next full collection once the old generation has doubled what the last
 * one kept, where V8 on a machine with memory lets it grow up to 4×: 1,000 streams peaked at 217–240 MiB
 * against 278–327, at the same CPU (docs/benchmarks.md, "Night round").
 */
export const RUNTIME_DEFAULTS: readonly string[] = ["--max-semi-space-size=4", "--heap-growing-percent=100"];

/**
 * Each environment variable `serve` runs with unless already set. `MALLOC_ARENA_MAX=2`: glibc's malloc
 * gives each thread touching it (V8's compiler and GC helpers, libuv's pool) an arena of its own that keeps
 * what it freed; two shared arenas kept the peak RSS under 64 connections about 10 MiB lower
 * (docs/benchmarks.md, "Part E: memory"). Other C libraries ignore it.
 */
export const RUNTIME_ENVIRONMENT: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: "2" };

/** A flag's option name in V8's spelling-insensitive form (`--max_semi_space_size=4` → `max-semi-space-size`). */
function optionName(flag: string): string {
  return flag.replace(/^--?/, "").split("=")[0]!.replaceAll("_", "-");
}

/**
 * Options that, given by the operator, also rule a default out: `--max-heap-size` sizes the young generation
 * with the rest (and V8 aborts when it, `--max-old-space-size` and `--max-semi-space-size` are all set).
 */
const SETTLED_BY: Readonly<Record<string, readonly string[]>> = {
  "max-semi-space-size": ["max-heap-size"],
};

/** The defaults whose option (or an option that settles it) appears neither in Node's own arguments nor in NODE_OPTIONS. */
export function missingRuntimeDefaults(
  execArgv: readonly string[],
  nodeOptions: string | undefined,
): string[] {
  const given = new Set([...execArgv, ...(nodeOptions ?? "").split(/\s+/)].filter(Boolean).map(optionName));
  return RUNTIME_DEFAULTS.filter((flag) => {
    const name = optionName(flag);
    return !given.has(name) && !(SETTLED_BY[name] ?? []).some((other) => given.has(other));
  });
}

/** The environment defaults not set (an empty value counts as set: the operator's choice). */
export function missingRuntimeEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  return Object.fromEntries(Object.entries(RUNTIME_ENVIRONMENT).filter(([name]) => env[name] === undefined));
}

/** True when the arguments run `serve` (the default command), not help, the version or another command. */
export function runsServe(argv: readonly string[]): boolean {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: CLI_OPTIONS,
      allowPositionals: true,
    });
    return !values.help && !values.version && (positionals[0] ?? "serve") === "serve";
  } catch {
    return false; // the command reports the usage error itself
  }
}

/**
 * Before anything else is loaded: for `serve`, replaces this process with the same command plus the
 * missing defaults, flags and environment (`process.execve`, so no second process stays behind). Never for
 * a process with an IPC channel (a cluster worker inherits its primary's flags and environment) or where
 * execve is unavailable.
 */
export function applyRuntimeDefaults(argv: readonly string[]): void {
  if (!runsServe(argv)) return;
  const missing = missingRuntimeDefaults(process.execArgv, process.env.NODE_OPTIONS);
  const missingEnvironment = missingRuntimeEnvironment(process.env);
  if (missing.length === 0 && Object.keys(missingEnvironment).length === 0) return;
  if (process.env.NODE_CHANNEL_FD !== undefined) return;
  if (typeof process.execve !== "function" || process.platform === "win32") return;
  const script = process.argv[1];
  if (script === undefined) return;
  process.execve(process.execPath, [process.execPath, ...missing, ...process.execArgv, script, ...argv], {
    ...process.env,
    ...missingEnvironment,
  });
}

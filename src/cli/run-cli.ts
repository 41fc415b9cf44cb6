/**
 * @module cli/run-cli
 * The `byok-gateway` command: serve, users add|list|revoke|set-plan, usage, fingerprint, verify, config check,
 * check-url, help; usage errors are one line and the usage, exit 2.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ConfigError } from "../config/config-error.ts";
import { loadConfig } from "../config/load-config.ts";
import { createEgressPolicy, validateBaseUrl } from "../egress/index.ts";
import { isGatewayError } from "../errors/gateway-error.ts";
import { createByok } from "../library/create-byok.ts";
import { createLogger } from "../telemetry/create-logger.ts";
import { COMMAND_HELP, commandHelp, overviewHelp, usageLines } from "./cli-help.ts";
import { CLI_OPTIONS } from "./cli-options.ts";
import { parseWorkersFlag, serve } from "./serve.ts";
import { keysFromEnvironment, keysFromLines, verifyCommand } from "./verify-command.ts";

/** The package's version, from the package.json beside src/ (or dist/). */
function readVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version?: unknown;
  };
  return typeof manifest.version === "string" ? manifest.version : "unknown";
}

/** A usage error: one line saying what is wrong, then the command's usage; exit code 2. */
function usageError(message: string, command: string | undefined): number {
  console.error(`byok-gateway: ${message}\n${usageLines(command)}`);
  return 2;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function withCore<T>(
  configFile: string | undefined,
  work: (byok: Awaited<ReturnType<typeof createByok>>) => Promise<T>,
) {
  const config = loadConfig({ file: configFile });
  const byok = await createByok({ config, logger: createLogger({ level: "warn" }) });
  try {
    return await work(byok);
  } finally {
    await byok.close();
  }
}

/** Exit 0 when allowed, 1 when denied; the verdict goes to stdout. */
async function checkUrlCommand(input: string, configFile: string | undefined): Promise<number> {
  const config = loadConfig({ file: configFile });
  const { timeouts: _timeouts, ...egress } = config.egress;
  const policy = createEgressPolicy({ ...egress, production: config.production });
  const verdict = await validateBaseUrl(input, policy);
  if (verdict.ok) {
    console.log(`allowed ${verdict.url.href}`);
    for (const { address, family } of verdict.addresses) console.log(`  address ${address} (IPv${family})`);
    return 0;
  }
  console.log(`denied ${verdict.reason}: ${verdict.message}`);
  return 1;
}

async function usersCommand(
  args: readonly string[],
  configFile: string | undefined,
  plan: string | undefined,
) {
  const [action, id] = args;
  if (action === "add" && id) {
    const created = await withCore(configFile, (byok) => byok.users.addUser(id, plan ?? null));
    console.error(`Created user ${created.id}. Their token is shown this once:`);
    console.log(created.token);
    return 0;
  }
  if (action === "list") {
    const users = await withCore(configFile, (byok) => byok.users.listUsers());
    for (const user of users) {
      const state = user.revokedAt === null ? "active" : `revoked ${new Date(user.revokedAt).toISOString()}`;
      console.log(`${user.id}\tplan=${user.plan ?? "-"}\t${state}`);
    }
    if (users.length === 0) console.error("No users yet: byok-gateway users add <id>");
    return 0;
  }
  if (action === "set-plan" && id && args[2]) {
    const next = args[2] === "default" ? null : args[2];
    await withCore(configFile, (byok) => byok.users.setPlan(id, next));
    console.error(`User ${id} is now on ${next === null ? "the default plan" : `plan ${next}`}.`);
    return 0;
  }
  if (action === "revoke" && id) {
    await withCore(configFile, (byok) => byok.users.revokeUser(id));
    console.error(`Revoked user ${id} and all their tokens.`);
    return 0;
  }
  if (action === undefined)
    return usageError("users: missing the action (add, list, revoke or set-plan)", "users");
  if (!["add", "list", "revoke", "set-plan"].includes(action))
    return usageError(`users: unknown action "${action}"`, "users");
  return usageError(`users ${action}: missing ${action === "set-plan" && id ? "<plan>" : "<id>"}`, "users");
}

const DAY_MS = 24 * 60 * 60 * 1000;

async function usageCommand(
  id: string | undefined,
  configFile: string | undefined,
  range: { from?: string | undefined; to?: string | undefined; bucket?: string | undefined },
): Promise<number> {
  if (id !== undefined) {
    const report = await withCore(configFile, async (byok) => {
      const user = await byok.store.users.get(id);
      return user === null ? null : byok.usage.report(user.id, user.plan);
    });
    if (report === null) {
      console.error(`No user ${id}.`);
      return 1;
    }
    console.log(JSON.stringify(report, null, 2));
    return 0;
  }
  const to = range.to === undefined ? Date.now() : Date.parse(range.to);
  const from = range.from === undefined ? to - 30 * DAY_MS : Date.parse(range.from);
  const bucket = range.bucket ?? "day";
  if (Number.isNaN(from) || Number.isNaN(to) || from >= to || (bucket !== "day" && bucket !== "hour")) {
    return usageError(
      "usage: --from and --to are ISO dates (from before to), --bucket is day or hour",
      "usage",
    );
  }
  const series = await withCore(configFile, (byok) => byok.usage.overTime({ from, to, bucket }));
  for (const row of series.data) {
    console.log(
      `${new Date(row.bucketStart).toISOString()}\t${row.source}\trequests=${row.requests}\t` +
        `input_tokens=${row.inputTokens}\toutput_tokens=${row.outputTokens}\taudio_seconds=${row.audioSeconds}`,
    );
  }
  if (series.data.length === 0) console.error("No usage in this range.");
  return 0;
}

/** Options every command takes. */
const GLOBAL_OPTIONS: ReadonlySet<string> = new Set(["config", "help", "version"]);

/** node:util's parse error as one plain line. */
function describeParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const option = /'(-[^' ]+)/.exec(message)?.[1];
  switch ((error as NodeJS.ErrnoException).code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option ${option ?? message}`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return /does not take/.test(message)
        ? `option ${option} takes no value`
        : `option ${option} needs a value`;
    default:
      return message.split("\n")[0] ?? message;
  }
}

/** Positional arguments each command accepts, checked before anything runs; a message when wrong. */
function checkArguments(command: string, rest: readonly string[]): string | undefined {
  switch (command) {
    case "serve":
    case "fingerprint":
    case "verify":
      // Never echoed: `fingerprint sk-…` would otherwise print the key it was wrongly given.
      return rest.length === 0 ? undefined : `${command} takes no arguments`;
    case "usage":
      return rest.length <= 1 ? undefined : `usage takes at most one user id`;
    case "check-url":
      if (rest.length === 0) return "check-url: missing <url>";
      return rest.length === 1 ? undefined : "check-url takes one URL";
    case "config":
      if (rest[0] === undefined) return 'config: missing the action ("check")';
      if (rest[0] !== "check") return `config: unknown action "${rest[0]}"`;
      return rest.length <= 2 ? undefined : "config check takes at most one file";
    default:
      return undefined;
  }
}

/** A listen that failed because the address is taken (Node's EADDRINUSE). */
function addressInUse(error: unknown): { port: unknown; address: unknown } | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { code, port, address } = error as { code?: unknown; port?: unknown; address?: unknown };
  return code === "EADDRINUSE" ? { port, address } : undefined;
}

export async function runCli(argv: readonly string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof CLI_OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: CLI_OPTIONS, allowPositionals: true });
  } catch (error) {
    const guess = argv.find((arg) => Object.hasOwn(COMMAND_HELP, arg));
    return usageError(describeParseError(error), guess);
  }
  const { values, positionals } = parsed;
  if (values.version) {
    console.log(readVersion());
    return 0;
  }
  const [command = "serve", ...rest] = positionals;
  if (command === "help") {
    const topic = rest[0];
    if (topic !== undefined && !Object.hasOwn(COMMAND_HELP, topic))
      return usageError(`help: unknown command "${topic}"`, undefined);
    console.log(topic === undefined ? overviewHelp() : commandHelp(topic));
    return 0;
  }
  if (values.help) {
    console.log(positionals.length === 0 ? overviewHelp() : commandHelp(command));
    return 0;
  }
  const help = COMMAND_HELP[command];
  if (help === undefined || !Object.hasOwn(COMMAND_HELP, command))
    return usageError(`unknown command "${command}"`, undefined);
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined && !GLOBAL_OPTIONS.has(name) && !help.options.includes(name))
      return usageError(`${command} takes no option --${name}`, command);
  }
  const wrong = checkArguments(command, rest);
  if (wrong !== undefined) return usageError(wrong, command);
  try {
    switch (command) {
      case "serve": {
        let workers: number | undefined;
        try {
          workers = parseWorkersFlag(values.workers);
        } catch (error) {
          return usageError((error as Error).message, "serve");
        }
        return await serve(values.config, workers);
      }
      case "users":
        return await usersCommand(rest, values.config, values.plan);
      case "usage":
        return await usageCommand(rest[0], values.config, values);
      case "fingerprint": {
        const { computeFingerprint } = await import("../keys/compute-fingerprint.ts");
        const key = (await readStdin()).trim();
        if (key === "") {
          console.error('fingerprint: no key on stdin (try: printf %s "$KEY" | byok-gateway fingerprint)');
          return 2;
        }
        console.log(computeFingerprint(key));
        return 0;
      }
      case "verify": {
        let headers: Record<string, string>;
        try {
          headers = values.stdin ? keysFromLines(await readStdin()) : keysFromEnvironment(process.env);
        } catch (error) {
          console.error((error as Error).message);
          return 2;
        }
        return await verifyCommand(headers, values.config);
      }
      case "check-url":
        return await checkUrlCommand(rest[0] ?? "", values.config);
      default: {
        // config check
        loadConfig({ file: rest[1] ?? values.config });
        console.log("configuration OK");
        return 0;
      }
    }
  } catch (error) {
    if (error instanceof ConfigError || isGatewayError(error)) {
      console.error(error.message);
      return 1;
    }
    const inUse = addressInUse(error);
    if (inUse !== undefined) {
      console.error(
        `byok-gateway: port ${String(inUse.port)} is in use on ${String(inUse.address)}; ` +
          "set server.port or BYOK_PORT to a free port, or stop what is listening there",
      );
      return 1;
    }
    throw error;
  }
}

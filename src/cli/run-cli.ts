/**
 * @module cli/run-cli
 * The `byok-gateway` command: serve, users add|list|revoke|set-plan, usage, fingerprint, verify, config check, check-url.
 */
import { parseArgs } from "node:util";
import { ConfigError } from "../config/config-error.ts";
import { loadConfig } from "../config/load-config.ts";
import { createEgressPolicy, validateBaseUrl } from "../egress/index.ts";
import { isGatewayError } from "../errors/gateway-error.ts";
import { createByok } from "../library/create-byok.ts";
import { createLogger } from "../telemetry/create-logger.ts";
import { parseWorkersFlag, serve } from "./serve.ts";
import { keysFromEnvironment, keysFromLines, verifyCommand } from "./verify-command.ts";

const USAGE = `Usage: byok-gateway <command> [options]

Commands:
  serve [--workers <n>]         start the gateway (default when no command is given); n worker
                                processes share the port (also BYOK_WORKERS, server.workers)
  users add <id> [--plan <p>]   create a user and print their token (shown once)
  users list                    list users
  users revoke <id>             revoke a user and all their tokens
  users set-plan <id> <plan>    put a user on a plan ("default" for the default plan)
  usage [<id>]                  a user's limits and usage this month, or everyone's usage over time
                                (--from, --to: ISO dates; --bucket day|hour)
  fingerprint                   read a key on stdin, print the fingerprint a client enrolls
  verify [--stdin]              check keys live with their providers (no gateway needed): keys from
                                BYOK_VERIFY_<PROVIDER>_KEY (and BYOK_VERIFY_CUSTOM_BASE_URL), or with
                                --stdin from provider=key lines; exit 0 only when every key is valid
  config check [file]           validate a config file (or the current configuration) and exit
  check-url <url>               the egress guard's verdict on a custom base URL: reason, vetted addresses

Options:
  --config <file>               config file (YAML or JSON); also BYOK_CONFIG
  -h, --help                    show this help
`;

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
  console.error(USAGE);
  return 2;
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
    console.error("usage: --from and --to are ISO dates (from before to), --bucket is day or hour");
    return 2;
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

export async function runCli(argv: readonly string[]): Promise<number> {
  let parsed: ReturnType<
    typeof parseArgs<{
      options: {
        config: { type: "string" };
        plan: { type: "string" };
        from: { type: "string" };
        to: { type: "string" };
        bucket: { type: "string" };
        workers: { type: "string" };
        stdin: { type: "boolean" };
        help: { type: "boolean"; short: "h" };
      };
      allowPositionals: true;
    }>
  >;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        config: { type: "string" },
        plan: { type: "string" },
        from: { type: "string" },
        to: { type: "string" },
        bucket: { type: "string" },
        workers: { type: "string" },
        stdin: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [command = "serve", ...rest] = positionals;
  try {
    switch (command) {
      case "serve": {
        let workers: number | undefined;
        try {
          workers = parseWorkersFlag(values.workers);
        } catch (error) {
          console.error(`${(error as Error).message}\n\n${USAGE}`);
          return 2;
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
      case "check-url": {
        if (rest[0] === undefined) break;
        return await checkUrlCommand(rest[0], values.config);
      }
      case "config": {
        if (rest[0] !== "check") break;
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
    throw error;
  }
  console.error(`Unknown command: ${command}\n\n${USAGE}`);
  return 2;
}

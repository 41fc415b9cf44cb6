/**
 * @module cli/cli-help
 * The `byok-gateway` command's help: the overview, each command's usage with examples, and the options it takes.
 */

export interface CommandHelp {
  /** One usage line per form of the command. */
  readonly usage: readonly string[];
  readonly summary: string;
  /** Options this command takes besides `--config` and `--help`. */
  readonly options: readonly string[];
  readonly details: string;
  readonly examples: readonly string[];
}

export const COMMAND_HELP: Readonly<Record<string, CommandHelp>> = {
  serve: {
    usage: ["byok-gateway serve [--workers <n>] [--config <file>]"],
    summary: "start the gateway (the default when no command is given)",
    options: ["workers"],
    details: `  --workers <n>     n worker processes share the port (also BYOK_WORKERS, server.workers)
The gateway listens on server.host:server.port (BYOK_HOST, BYOK_PORT; 127.0.0.1:8080 by default).`,
    examples: [
      "byok-gateway serve --config byok.yaml",
      "BYOK_HOST=0.0.0.0 BYOK_PORT=9000 byok-gateway serve --workers 4",
    ],
  },
  users: {
    usage: [
      "byok-gateway users add <id> [--plan <plan>]",
      "byok-gateway users list",
      "byok-gateway users revoke <id>",
      "byok-gateway users set-plan <id> <plan>",
    ],
    summary: "create, list and revoke users; put a user on a plan",
    options: ["plan"],
    details: `  add        create a user and print their token (shown once, on stdout)
  list       list users, their plan and state
  revoke     revoke a user and all their tokens
  set-plan   put a user on a plan ("default" for the default plan)`,
    examples: ["byok-gateway users add alice --plan pro", "byok-gateway users set-plan alice default"],
  },
  usage: {
    usage: [
      "byok-gateway usage <id>",
      "byok-gateway usage [--from <date>] [--to <date>] [--bucket day|hour]",
    ],
    summary: "a user's limits and usage this month, or everyone's usage over time",
    options: ["from", "to", "bucket"],
    details: `  --from, --to      ISO dates (the last 30 days by default)
  --bucket          day (default) or hour`,
    examples: ["byok-gateway usage alice", "byok-gateway usage --from 2026-01-01 --bucket hour"],
  },
  fingerprint: {
    usage: ["byok-gateway fingerprint"],
    summary: "read a key on stdin, print the fingerprint a client enrolls",
    options: [],
    details: "The fingerprint is the lowercase hex SHA-256 of the trimmed key; the key is never printed.",
    examples: ['printf %s "$KEY" | byok-gateway fingerprint'],
  },
  verify: {
    usage: ["byok-gateway verify [--stdin]"],
    summary: "check keys live with their providers (no gateway needed)",
    options: ["stdin"],
    details: `Keys come from BYOK_VERIFY_<PROVIDER>_KEY (and BYOK_VERIFY_CUSTOM_BASE_URL), or with --stdin
from provider=key lines. Exit 0 only when every key is valid, 1 otherwise.`,
    examples: [
      "BYOK_VERIFY_OPENAI_KEY=sk-… byok-gateway verify",
      "printf 'custom=sk-…\\ncustom_base_url=https://models.example.com/v1\\n' | byok-gateway verify --stdin",
    ],
  },
  config: {
    usage: ["byok-gateway config check [<file>]"],
    summary: "validate a config file (or the current configuration) and exit",
    options: [],
    details: "Every problem is reported at once, the file's and the environment's together; exit 1 when any.",
    examples: ["byok-gateway config check byok.yaml", "BYOK_CONFIG=byok.yaml byok-gateway config check"],
  },
  "check-url": {
    usage: ["byok-gateway check-url <url>"],
    summary: "the egress guard's verdict on a custom base URL: reason, vetted addresses",
    options: [],
    details: "Exit 0 when the URL is allowed, 1 when denied (the configuration's egress allowances apply).",
    examples: ["byok-gateway check-url https://models.example.com/v1"],
  },
  help: {
    usage: ["byok-gateway help [<command>]"],
    summary: "show this help, or a command's",
    options: [],
    details: "",
    examples: ["byok-gateway help users"],
  },
};

export function overviewHelp(): string {
  const commands = Object.values(COMMAND_HELP)
    .flatMap((help) =>
      help.usage.map((line, index) => {
        const form = line.replace(/^byok-gateway /, "").replace(" [--config <file>]", "");
        return index === 0 ? `  ${form.padEnd(40)} ${help.summary}` : `  ${form}`;
      }),
    )
    .join("\n");
  return `Usage: byok-gateway <command> [options]

Commands:
${commands}

Options:
  --config <file>   config file (YAML or JSON); also BYOK_CONFIG
  -h, --help        show help (byok-gateway <command> --help for a command's)
  -v, --version     print the version

Run "byok-gateway help <command>" for a command's options and examples.
`;
}

export function commandHelp(name: string): string {
  const help = COMMAND_HELP[name];
  if (help === undefined) return overviewHelp();
  const usage = help.usage.map((line, index) => `${index === 0 ? "Usage: " : "       "}${line}`).join("\n");
  const details = help.details === "" ? "" : `\n${help.details}\n`;
  const examples = help.examples.map((line) => `  ${line}`).join("\n");
  return `${usage}

${help.summary[0]?.toUpperCase()}${help.summary.slice(1)}.
${details}
Examples:
${examples}
`;
}

/** The usage lines alone, printed after a usage error. */
export function usageLines(name: string | undefined): string {
  const help = name === undefined ? undefined : COMMAND_HELP[name];
  if (help === undefined) return overviewHelp().trimEnd();
  return `${help.usage.map((line, index) => `${index === 0 ? "Usage: " : "       "}${line}`).join("\n")}\n(byok-gateway help ${name} for details)`;
}

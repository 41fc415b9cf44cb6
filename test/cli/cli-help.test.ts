/**
 * @module test/cli/cli-help
 * The command's manners: --version, help [command], per-command --help, one-line usage errors (exit 2),
 * a taken port (exit 1, no stack) and `config check` reporting the file's and the environment's problems at once.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { mock, test } from "node:test";
import { COMMAND_HELP } from "../../src/cli/cli-help.ts";
import { runCli as runCliInProcess } from "../../src/cli/run-cli.ts";
import { type CliResult, runCli } from "../support/run-cli.ts";
import { createTempDir } from "../support/start-gateway.ts";

/** Runs the command in this process (for what stops before any work), capturing what it prints. */
async function runHere(args: readonly string[]): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const log = mock.method(console, "log", (text: unknown) => {
    stdout += `${String(text)}\n`;
  });
  const error = mock.method(console, "error", (text: unknown) => {
    stderr += `${String(text)}\n`;
  });
  try {
    return { code: await runCliInProcess(args), stdout, stderr };
  } finally {
    log.mock.restore();
    error.mock.restore();
  }
}

const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

test("--version and -v print the package version", async () => {
  for (const flag of ["--version", "-v"]) {
    const result = await runCli([flag]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `${version}\n`);
  }
});

test("help lists every command; help <command> and <command> --help print that command's usage and examples", async () => {
  const overview = await runCli(["help"]);
  assert.equal(overview.code, 0);
  assert.equal((await runCli(["users", "--help"])).stdout, (await runHere(["help", "users"])).stdout);
  for (const name of Object.keys(COMMAND_HELP)) assert.match(overview.stdout, new RegExp(`^  ${name} `, "m"));
  assert.equal((await runHere(["--help"])).stdout, overview.stdout);
  for (const name of Object.keys(COMMAND_HELP).filter((name) => name !== "help")) {
    const viaHelp = await runHere(["help", name]);
    const viaFlag = await runHere([name, "--help"]);
    assert.equal(viaHelp.code, 0);
    assert.equal(viaFlag.code, 0);
    assert.equal(viaFlag.stdout, viaHelp.stdout);
    assert.match(viaHelp.stdout, new RegExp(`^Usage: byok-gateway ${name}`));
    assert.match(viaHelp.stdout, /\nExamples:\n {2}\S/);
    assert.notEqual(viaHelp.stdout, overview.stdout);
  }
});

test("usage errors are one line saying what is wrong, then the usage, with exit code 2", async () => {
  const cases: Array<[string[], RegExp, RegExp]> = [
    [["frobnicate"], /^byok-gateway: unknown command "frobnicate"\n/, /Commands:/],
    [["help", "frobnicate"], /^byok-gateway: help: unknown command "frobnicate"\n/, /Commands:/],
    [["users", "list", "--nope"], /^byok-gateway: unknown option --nope\n/, /Usage: byok-gateway users add/],
    [
      ["serve", "--plan", "pro"],
      /^byok-gateway: serve takes no option --plan\n/,
      /Usage: byok-gateway serve/,
    ],
    [["check-url"], /^byok-gateway: check-url: missing <url>\n/, /Usage: byok-gateway check-url <url>/],
    [
      ["config"],
      /^byok-gateway: config: missing the action \("check"\)\n/,
      /Usage: byok-gateway config check/,
    ],
    [
      ["config", "check", "--config"],
      /^byok-gateway: option --config needs a value\n/,
      /Usage: byok-gateway config/,
    ],
    [["users", "add"], /^byok-gateway: users add: missing <id>\n/, /Usage: byok-gateway users/],
    [
      ["users", "set-plan", "ada"],
      /^byok-gateway: users set-plan: missing <plan>\n/,
      /Usage: byok-gateway users/,
    ],
    [
      ["serve", "--workers", "0"],
      /^byok-gateway: --workers must be a whole number/,
      /Usage: byok-gateway serve/,
    ],
    [
      ["fingerprint", "sk-secret-key-given-by-mistake"],
      /^byok-gateway: fingerprint takes no arguments/,
      /Usage: byok-gateway fingerprint/,
    ],
  ];
  const spawned = await runCli(["frobnicate"]);
  assert.equal(spawned.code, 2);
  assert.equal(spawned.stderr, (await runHere(["frobnicate"])).stderr);
  for (const [args, line, usage] of cases) {
    const result = await runHere(args);
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.match(result.stderr, line, args.join(" "));
    assert.match(result.stderr, usage, args.join(" "));
    assert.doesNotMatch(result.stderr, /ERR_PARSE_ARGS|\n\s+at /, args.join(" "));
    assert.equal(result.stdout, "");
    assert.doesNotMatch(result.stderr, /sk-secret-key/);
  }
});

test("a taken port is one line naming the port and the settings, exit 1, no stack", async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
  const address = taken.address();
  assert.ok(address !== null && typeof address === "object");
  try {
    const result = await runCli(["serve"], {
      env: {
        BYOK_PORT: String(address.port),
        BYOK_HOST: "127.0.0.1",
        BYOK_DATA_DIR: createTempDir(),
        BYOK_LOG_LEVEL: "warn",
      },
    });
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(`port ${address.port} is in use on 127\\.0\\.0\\.1; set server\\.port or BYOK_PORT`),
    );
    assert.doesNotMatch(result.stderr, /EADDRINUSE|\n\s+at /);
  } finally {
    await new Promise((resolve) => taken.close(resolve));
  }
});

test("config check reports the file's and the environment's problems together", async () => {
  const file = join(createTempDir(), "byok.yaml");
  writeFileSync(file, "server:\n  port: -5\nbogus: 1\n");
  const result = await runCli(["config", "check", file], {
    env: { BYOK_WORKERS: "many", BYOK_PRODUCTION: "maybe" },
  });
  assert.equal(result.code, 1);
  for (const problem of [
    /BYOK_WORKERS: must be a whole number/,
    /BYOK_PRODUCTION: must be true or false/,
    /server\.port: /,
    /bogus/,
  ]) {
    assert.match(result.stderr, problem);
  }
  const fine = await runCli(["config", "check", file.replace("byok.yaml", "none.yaml")]);
  assert.equal(fine.code, 1);
  assert.match(fine.stderr, /cannot read the config file/);
});

/**
 * @module test/cli/readme-tour
 * README's tour, pasted whole into bash, twice in the same directory (a re-run must work too): the only
 * changes are the fake providers' base URLs added to the file it writes, and `npm start` / `npm run
 * byok-gateway` mapped to the same entry on the pinned Node (the scratch directory has no package.json).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { startFakeDeepgram } from "../peers/fake-deepgram-provider.ts";
import { startFakeOpenAiProvider } from "../peers/fake-openai-provider.ts";
import { MAIN } from "../support/run-cli.ts";
import { createTempDir } from "../support/start-gateway.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** The first `sh` block of README's "A short tour" section. */
function readTour(): string {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const section = readme.split(/^## A short tour$/m)[1]?.split(/^## /m)[0] ?? "";
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, "README has a tour");
  return block;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, "close");
  return port;
}

const PRELUDE = `set -u
npm() {
  case "$1" in
    start) shift; [ "\${1:-}" = "--" ] && shift; node "$BYOK_TOUR_MAIN" serve "$@" ;;
    run) shift; [ "$1" = "-s" ] && shift; shift; [ "\${1:-}" = "--" ] && shift; node "$BYOK_TOUR_MAIN" "$@" ;;
    *) echo "tour: unexpected npm $*" >&2; return 1 ;;
  esac
}
`;

/** Runs the tour in `dir`; resolves with its output once bash is done and the gateway it started has stopped. */
async function runTour(script: string, dir: string, env: Record<string, string>): Promise<string> {
  const child: ChildProcess = spawn("bash", ["-c", PRELUDE + script], {
    cwd: dir,
    env: {
      PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}`,
      HOME: dir,
      BYOK_TOUR_MAIN: MAIN,
      BYOK_LOG_LEVEL: "warn",
      ...env,
    },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  // The pipes close only when the backgrounded gateway exits too.
  const closed = once(child, "close");
  const watchdog = setTimeout(() => process.kill(-(child.pid ?? 0), "SIGKILL"), 180_000);
  try {
    await once(child, "exit");
  } finally {
    // The tour leaves its gateway running (a reader opens the settings link); stop it as a user would.
    try {
      process.kill(-(child.pid ?? 0), "SIGTERM");
    } catch {
      // already gone
    }
    await closed;
    clearTimeout(watchdog);
  }
  return output;
}

test("README's tour works pasted whole, and again in the same directory", { timeout: 400_000 }, async () => {
  const openai = await startFakeOpenAiProvider();
  const gemini = await startFakeOpenAiProvider({ prefix: "/v1beta/openai" });
  const deepgram = await startFakeDeepgram();
  const dir = createTempDir();
  try {
    const providers = [
      "providers:",
      `  openai: { baseUrl: "${openai.baseUrl}" }`,
      `  gemini: { baseUrl: "${gemini.baseUrl}" }`,
      `  deepgram: { baseUrl: "${deepgram.origin}" }`,
    ].join("\n");
    const tour = readTour();
    assert.match(tour, /\nYAML\n/);
    const script = tour.replace(/\nYAML\n/, `\n${providers}\nYAML\n`);
    const port = await freePort();
    for (const run of [1, 2]) {
      const output = await runTour(script, dir, { BYOK_PORT: String(port) });
      const where = `run ${run}:\n${output}`;
      assert.match(output, /^x-byok-route: openai\/gpt-4\.1-mini; source=operator\r?$/im, where);
      assert.match(output, /^x-byok-route: gemini\/gemini-2\.5-flash; source=byok\r?$/im, where);
      assert.match(output, /^x-byok-status: active; accepted=gemini\r?$/im, where);
      assert.match(output, /"type":\s*"byok_key_mismatch"/, where);
      assert.match(output, /^x-byok-route: deepgram\/nova-3; source=operator\r?$/im, where);
      assert.match(output, new RegExp(`^http://localhost:${port}/settings/#token=bst_\\S+$`, "m"), where);
      assert.doesNotMatch(output, /is in use|Error|error TS/, where);
    }
    // What reached the providers: the operator's keys, alice's own Gemini key, the generated WAV.
    assert.ok(openai.requests.some((request) => request.headers.authorization === "Bearer sk-operator-key"));
    assert.ok(
      gemini.requests.some((request) => request.headers.authorization === "Bearer AIza-alice-real-key"),
    );
    assert.equal(
      gemini.requests.filter((request) => request.headers.authorization === "Bearer AIza-stolen").length,
      0,
    );
    assert.equal(deepgram.rest.length, 2);
    assert.equal(readFileSync(join(dir, "hello.wav")).subarray(0, 4).toString(), "RIFF");
  } finally {
    await Promise.all([openai.close(), gemini.close(), deepgram.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
});

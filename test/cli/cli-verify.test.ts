/**
 * @module test/cli/cli-verify
 * `byok-gateway verify` runs the gateway's key checks locally against loopback fakes: keys from the
 * environment or stdin, one line per provider, exit 0 only when every key is valid, keys never printed.
 */
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type FakeKeyCheckProvider, startFakeKeyCheckProvider } from "../peers/fake-key-check-provider.ts";
import { runCli } from "../support/run-cli.ts";
import { createTempDir } from "../support/start-gateway.ts";

const OPENAI_KEY = "sk-cli-verify-openai-1111111111111111";
const DEEPGRAM_KEY = "dg-cli-verify-2222222222222222222222";
const CUSTOM_KEY = "sk-cli-verify-custom-3333333333333333";

describe("byok-gateway verify", () => {
  let fake: FakeKeyCheckProvider;
  let dir: string;
  let configFile: string;
  before(async () => {
    fake = await startFakeKeyCheckProvider();
    dir = createTempDir("byok-cli-verify-");
    configFile = join(dir, "config.json");
    writeFileSync(
      configFile,
      JSON.stringify({
        dataDir: dir,
        providers: Object.fromEntries(
          Object.entries(fake.baseUrls).map(([id, baseUrl]) => [id, { baseUrl }]),
        ),
        egress: { allowCidrs: ["127.0.0.1/32"], allowHttpHosts: ["127.0.0.1"] },
        verify: { timeoutMs: 2000 },
      }),
    );
  });
  after(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("keys from the environment, all valid: one line each, exit 0", async () => {
    const result = await runCli(["verify", "--config", configFile], {
      env: {
        BYOK_VERIFY_OPENAI_KEY: OPENAI_KEY,
        BYOK_VERIFY_DEEPGRAM_KEY: DEEPGRAM_KEY,
        BYOK_VERIFY_CUSTOM_KEY: CUSTOM_KEY,
        BYOK_VERIFY_CUSTOM_BASE_URL: fake.customBaseUrl,
      },
    });
    assert.equal(result.code, 0, result.stderr + result.stdout);
    const lines = result.stdout.trim().split("\n");
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /^openai\tvalid\t\d+ ms\tHTTP 200$/);
    assert.match(lines[1]!, /^deepgram\tvalid\t/);
    assert.match(lines[2]!, /^custom\tvalid\t/);
    assert.ok(fake.requests.some((request) => request.url === "/deepgram/v1/projects"));
  });

  test("keys from stdin; an invalid or refused one makes the exit code 1; keys never printed", async () => {
    fake.setMode("openai", "echo");
    try {
      const result = await runCli(["verify", "--stdin", "--config", configFile], {
        stdin: `# my keys\nopenai=${OPENAI_KEY}\n\ncustom=${CUSTOM_KEY}\ncustom-base-url=https://localhost/v1\n`,
      });
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stdout, /^openai\tinvalid\t\d+ ms\tHTTP 401: openai: .*\[redacted\]/m);
      assert.match(result.stdout, /^custom\tinvalid\t\d+ ms\thost_denied: /m);
      for (const key of [OPENAI_KEY, CUSTOM_KEY]) {
        assert.ok(!result.stdout.includes(key) && !result.stderr.includes(key), "no key printed");
      }
    } finally {
      fake.setMode("openai", { status: 200, body: {} });
    }
  });

  test("no keys, or a line that is not provider=key, is a usage error (exit 2) that never echoes the line", async () => {
    const none = await runCli(["verify", "--config", configFile]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /BYOK_VERIFY_/);
    const bad = await runCli(["verify", "--stdin", "--config", configFile], {
      stdin: `mistral=${OPENAI_KEY}\n`,
    });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /line 1/);
    assert.ok(!bad.stderr.includes(OPENAI_KEY));
  });
});

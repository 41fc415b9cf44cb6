import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { computeFingerprint } from "../../src/keys/index.ts";
import { createByok } from "../../src/library/index.ts";
import { createLogger } from "../../src/telemetry/index.ts";
import { runCli } from "../support/run-cli.ts";
import { captureLogs, createTempDir } from "../support/start-gateway.ts";

test("users add prints a working token once; list and revoke", async () => {
  const env = { BYOK_DATA_DIR: createTempDir() };
  const added = await runCli(["users", "add", "cli-user", "--plan", "pro"], { env });
  assert.equal(added.code, 0, added.stderr);
  const token = added.stdout.trim();
  assert.match(token, /^byok_[A-Za-z0-9_-]{43}$/);
  assert.match(added.stderr, /shown this once/);

  const byok = await createByok({
    config: { dataDir: env.BYOK_DATA_DIR },
    logger: createLogger({ level: "silent", destination: captureLogs().destination }),
  });
  assert.deepEqual(await byok.authenticate(`Bearer ${token}`), {
    userId: "cli-user",
    plan: "pro",
    via: "token",
  });
  await byok.close();

  const listed = await runCli(["users", "list"], { env });
  assert.match(listed.stdout, /cli-user\tplan=pro\tactive/);
  assert.ok(!listed.stdout.includes(token));

  const duplicate = await runCli(["users", "add", "cli-user"], { env });
  assert.equal(duplicate.code, 1);
  assert.match(duplicate.stderr, /already exists/);

  const revoked = await runCli(["users", "revoke", "cli-user"], { env });
  assert.equal(revoked.code, 0);
  assert.match((await runCli(["users", "list"], { env })).stdout, /cli-user\tplan=pro\trevoked/);
  const again = await createByok({
    config: { dataDir: env.BYOK_DATA_DIR },
    logger: createLogger({ level: "silent", destination: captureLogs().destination }),
  });
  await assert.rejects(again.authenticate(`Bearer ${token}`), { type: "invalid_credentials" });
  await again.close();

  const missing = await runCli(["users", "revoke", "nobody"], { env });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /No such user/);
});

test("fingerprint reads a key from stdin and prints what a client enrolls", async () => {
  const result = await runCli(["fingerprint"], { stdin: "  sk-test-key\n" });
  assert.equal(result.code, 0);
  assert.equal(result.stdout.trim(), computeFingerprint("sk-test-key"));
  const empty = await runCli(["fingerprint"], { stdin: "" });
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /no key on stdin/);
});

test("unknown commands and options print usage and exit 2", async () => {
  const unknown = await runCli(["frobnicate"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /Usage: byok-gateway/);
  const badOption = await runCli(["users", "list", "--nope"]);
  assert.equal(badOption.code, 2);
  const help = await runCli(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /config check/);
});

test("check-url prints the egress verdict, its reason and the vetted addresses", async () => {
  const denied = await runCli(["check-url", "https://127.0.0.1/v1"]);
  assert.equal(denied.code, 1);
  assert.match(denied.stdout, /^denied address_denied: /);
  const named = await runCli(["check-url", "https://metadata.google.internal/"]);
  assert.equal(named.code, 1);
  assert.match(named.stdout, /^denied host_denied/);
  const malformed = await runCli(["check-url", "https://exa mple.com"]);
  assert.equal(malformed.code, 1);
  assert.match(malformed.stdout, /^denied /);
  const config = join(createTempDir(), "egress.yaml");
  writeFileSync(config, "egress:\n  allowCidrs: [127.0.0.2/32]\n");
  const allowed = await runCli(["check-url", "https://127.0.0.2/v1/", "--config", config]);
  assert.equal(allowed.code, 0, allowed.stdout + allowed.stderr);
  assert.match(allowed.stdout, /^allowed https:\/\/127\.0\.0\.2\/v1\//);
  assert.match(allowed.stdout, /address 127\.0\.0\.2 \(IPv4\)/);
});

import assert from "node:assert/strict";
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

/**
 * @module test/cli/serve-loads-what-is-configured
 * `serve` loads the clients of the backends its config names, and no other: a gateway on SQLite with no
 * Redis, PostgreSQL or JWTs never loads ioredis, pg or jose (their memory is not paid for nothing).
 */
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { spawnGateway } from "../support/spawn-gateway.ts";
import { ADMIN_TOKEN, createTempDir, TEST_PEPPER } from "../support/start-gateway.ts";

const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));
const RECORDER = fileURLToPath(new URL("../support/record-loaded-packages.ts", import.meta.url));

test("a gateway on SQLite without Redis, PostgreSQL or JWTs loads none of their clients", async () => {
  const dataDir = createTempDir("byok-loaded-packages-");
  const file = join(dataDir, "loaded.json");
  const gateway = await spawnGateway({
    args: [MAIN, "serve"],
    startTimeoutMs: 120_000,
    env: {
      BYOK_PEPPER: TEST_PEPPER,
      BYOK_ADMIN_TOKEN: ADMIN_TOKEN,
      BYOK_DATA_DIR: dataDir,
      BYOK_PORT: "0",
      NODE_OPTIONS: `--import ${RECORDER}`,
      LOADED_PACKAGES_FILE: file,
    },
  });
  try {
    // A request served end to end first: nothing on the request path loads them either.
    const users = await fetch(new URL("/admin/users", gateway.url), {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ id: "loaded-packages-user" }),
    });
    assert.equal(users.status, 201);
    assert.equal((await fetch(new URL("/healthz", gateway.url))).status, 200);
  } finally {
    assert.equal(await gateway.stop("SIGTERM"), 0);
  }
  try {
    const loaded = JSON.parse(readFileSync(file, "utf8")) as string[];
    assert.ok(loaded.includes("fastify"), `the recorder sees the packages loaded: ${loaded.join(", ")}`);
    for (const client of ["ioredis", "pg", "jose"])
      assert.ok(!loaded.includes(client), `${client} loaded: ${loaded.join(", ")}`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

/**
 * @module test/library/configured-pepper-ring.test
 * The pepper ring createByok starts from: the configured peppers, or the embedded default's pepper file
 * (generated once, owner-only, logged without its value, reused on the next start).
 */
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { PEPPER_FILE_NAME, SecretKey } from "../../src/keys/index.ts";
import { createConfiguredPepperRing } from "../../src/library/create-configured-pepper-ring.ts";
import { createLogger } from "../../src/telemetry/create-logger.ts";
import { captureLogs, createTempDir } from "../support/start-gateway.ts";

const key = (ring: { deriveKeys(info: string): readonly Uint8Array[] }) =>
  Buffer.from(ring.deriveKeys("test purpose")[0] ?? []).toString("hex");

test("without configured peppers: one generated owner-only file, logged once by path, reused", async () => {
  const dir = createTempDir("byok-pepper-ring-");
  const captured = captureLogs();
  const logger = createLogger({ destination: captured.destination });
  const first = createConfiguredPepperRing(undefined, dir, logger);
  const line = await captured.waitFor("generated a new pepper");
  const path = join(dir, PEPPER_FILE_NAME);
  assert.ok(line.includes(path));
  const pepper = readFileSync(path, "utf8").trim();
  assert.ok(!line.includes(pepper), "the pepper itself is never logged");
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const second = createConfiguredPepperRing(undefined, dir, logger);
  assert.equal(key(second), key(first), "the next start derives the same keys");
  assert.equal(captured.logs.filter((entry) => entry.includes("generated a new pepper")).length, 1);
});

test("configured peppers are used as given, and no file is written", () => {
  const dir = createTempDir("byok-pepper-ring-");
  const peppers = [new SecretKey("p".repeat(40)), new SecretKey("q".repeat(40))];
  const ring = createConfiguredPepperRing(peppers, dir, createLogger({ level: "silent" }));
  assert.equal(ring.deriveKeys("test purpose").length, 2);
  assert.throws(() => statSync(join(dir, PEPPER_FILE_NAME)), { code: "ENOENT" });
  assert.notEqual(
    key(ring),
    key(createConfiguredPepperRing([peppers[1]!], dir, createLogger({ level: "silent" }))),
  );
});

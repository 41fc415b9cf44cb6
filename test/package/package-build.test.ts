import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildClient } from "../../client/build.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

test("the build emits JavaScript and declarations for every package export", async () => {
  // Inside the project so the emitted files resolve its node_modules.
  const outDir = mkdtempSync(join(root, ".build-test-"));
  try {
    const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
    const build = spawnSync(
      process.execPath,
      [tsc, "-p", join(root, "tsconfig.build.json"), "--outDir", outDir],
      { encoding: "utf8" },
    );
    assert.equal(build.status, 0, build.stdout + build.stderr);
    // The client island (`byok-gateway/client`) is built by esbuild, its declarations by its own tsconfig.
    await buildClient(join(outDir, "client"));
    const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
      name: string;
      bin: Record<string, string>;
      exports: Record<string, { types: string; default: string } | string>;
    };
    assert.equal(manifest.name, "byok-gateway");
    assert.equal(manifest.bin["byok-gateway"], "dist/main.js");
    const library = await import(pathToFileURL(join(outDir, "index.js")).href);
    assert.equal(typeof library.createByok, "function");
    assert.equal(typeof library.computeFingerprint, "function");
    const server = await import(pathToFileURL(join(outDir, "server.js")).href);
    assert.equal(typeof server.createGatewayServer, "function");
    const client = await import(pathToFileURL(join(outDir, "client", "index.js")).href);
    for (const name of [
      "fingerprint",
      "headers",
      "createByokClient",
      "createMemoryKeyStore",
      "createBrowserKeyStore",
    ]) {
      assert.equal(typeof client[name], "function", `byok-gateway/client exports ${name}`);
    }
    assert.ok(readFileSync(join(outDir, "client", "index.d.ts"), "utf8").includes("createByokClient"));
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      if (typeof target === "string") continue;
      for (const file of [target.types, target.default]) {
        assert.ok(
          existsSync(join(outDir, file.replace(/^\.\/dist\//, ""))),
          `${subpath} → ${file} is emitted`,
        );
      }
    }
    assert.match(readFileSync(join(outDir, "main.js"), "utf8"), /^#!\/usr\/bin\/env node/);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});

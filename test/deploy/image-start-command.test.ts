/**
 * @module test/deploy/image-start-command
 * The image runs CI's start command on the build, as a non-root user, and its health check and probes answer.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { RUNTIME_DEFAULTS } from "../../src/cli/apply-runtime-defaults.ts";
import { ROOT, readDeployment, readImage } from "../support/deploy-files.ts";
import { spawnGateway } from "../support/spawn-gateway.ts";
import { ADMIN_TOKEN, createTempDir, TEST_PEPPER } from "../support/start-gateway.ts";

const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  scripts: Record<string, string>;
  devDependencies: Record<string, string>;
};
const buildSettings = JSON.parse(readFileSync(join(ROOT, "tsconfig.build.json"), "utf8")) as {
  compilerOptions: { rootDir: string; outDir: string };
};

/** `npm start`'s command with each source file replaced by the file the build emits for it. */
function startScriptOnTheBuild(): string[] {
  const { rootDir, outDir } = buildSettings.compilerOptions;
  const source = new RegExp(`^${rootDir}/(.+)\\.ts$`);
  return (manifest.scripts.start ?? "").split(" ").map((word) => word.replace(source, `${outDir}/$1.js`));
}

/** Runs the image's HEALTHCHECK command (after `node`) on this machine's Node; resolves with its exit code. */
async function runHealthcheck(port: number): Promise<number | null> {
  const [program, ...args] = readImage().healthcheck ?? [];
  assert.equal(program, "node", "the health check needs nothing but node (slim images have no curl)");
  const child = spawn(process.execPath, args, { env: { BYOK_PORT: String(port) }, stdio: "ignore" });
  const [code] = (await once(child, "exit")) as [number | null];
  return code;
}

test("the image's start command is CI's (`npm start`) on the build, and the image is pinned and non-root", () => {
  const image = readImage();
  // CI (.ci/smoke-start) runs `npm start`; the image runs the same entry and command on the build's output.
  assert.equal(manifest.scripts.start, "node src/main.ts serve");
  assert.deepEqual(image.cmd, startScriptOnTheBuild());
  assert.match(readFileSync(join(ROOT, ".ci/smoke-start"), "utf8"), /\bnpm start\b/);
  const { container } = readDeployment();
  assert.equal(container.command, undefined, "Kubernetes keeps the image's command");
  if (container.args !== undefined) assert.deepEqual(container.args, image.cmd);
  // Every stage on the project's pinned Node.
  for (const from of image.from) {
    assert.match(from, new RegExp(`^node:${manifest.devDependencies.node!.replaceAll(".", "\\.")}-`));
  }
  assert.ok(image.stages.length >= 2, "multi-stage");
  assert.ok(image.user !== undefined && !/^(root|0)(:|$)/.test(image.user), `USER ${image.user} is not root`);
  assert.deepEqual(image.volumes, [`["${image.env.BYOK_DATA_DIR}"]`]);
  assert.equal(image.env.NODE_ENV, "production");
  const copies = image.stages.at(-1)!.filter((instruction) => instruction.keyword === "COPY");
  assert.ok(copies.some((copy) => copy.rest.startsWith("--from=build /app/dist ./dist")));
  assert.ok(!copies.some((copy) => /\bsrc\b/.test(copy.rest)), "no sources in the final image");
  const dockerignore = readFileSync(join(ROOT, ".dockerignore"), "utf8").split("\n");
  for (const entry of ["node_modules", "data", ".git", ".env"])
    assert.ok(dockerignore.includes(entry), entry);
});

test("the build's start command serves, passes the image's health check and the probes, and stops on SIGTERM", async () => {
  // The build as the image's first stage makes it, inside the project so it resolves node_modules.
  const outDir = mkdtempSync(join(ROOT, ".build-test-"));
  const dataDir = createTempDir("byok-image-data-");
  try {
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    const build = spawnSync(
      process.execPath,
      [tsc, "-p", join(ROOT, "tsconfig.build.json"), "--outDir", outDir, "--declaration", "false"],
      { encoding: "utf8" },
    );
    assert.equal(build.status, 0, build.stdout + build.stderr);
    const image = readImage();
    const [program, entry, ...args] = image.cmd;
    assert.equal(program, "node");
    const { outDir: dist } = buildSettings.compilerOptions;
    const builtEntry = join(outDir, relative(dist, entry!));
    const gateway = await spawnGateway({
      args: [builtEntry, ...args],
      cwd: ROOT,
      env: {
        ...image.env,
        BYOK_PEPPER: TEST_PEPPER,
        BYOK_ADMIN_TOKEN: ADMIN_TOKEN,
        BYOK_DATA_DIR: dataDir,
        BYOK_HOST: "127.0.0.1",
        BYOK_PORT: "0",
      },
    });
    try {
      assert.ok(
        gateway.logs.some((line) => line.includes('"production":true')),
        "production mode",
      );
      assert.equal(await runHealthcheck(gateway.port), 0, "HEALTHCHECK passes on a serving gateway");
      // The V8 defaults come from the start path itself (the image sets no NODE_OPTIONS), in this same pid.
      assert.equal(image.env.NODE_OPTIONS, undefined);
      const commandLine = readFileSync(`/proc/${gateway.child.pid}/cmdline`, "utf8").split("\0");
      for (const flag of RUNTIME_DEFAULTS) assert.ok(commandLine.includes(flag), commandLine.join(" "));
      const { container } = readDeployment();
      for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe]) {
        if (probe?.httpGet === undefined) continue;
        const response = await fetch(new URL(probe.httpGet.path, gateway.url));
        assert.equal(response.status, 200, `probe ${probe.httpGet.path}`);
        await response.body?.cancel();
      }
    } finally {
      assert.equal(await gateway.stop("SIGTERM"), 0, "a clean exit on SIGTERM");
    }
    assert.ok(gateway.logs.some((line) => line.includes('"msg":"stopped"')));
    assert.equal(await runHealthcheck(gateway.port), 1, "HEALTHCHECK fails once nothing answers");
  } finally {
    rmSync(outDir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
});

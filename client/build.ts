/**
 * @module client/build
 * `npm run build:client`: bundles the client island with esbuild into dist/client/ and emits its declarations.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const root = join(import.meta.dirname, "..");
/** Entry points in client/src/, each built to `<outDir>/<name>.js` (`index`: the `byok-gateway/client` export). */
export const CLIENT_ENTRIES: readonly string[] = ["index"];
/** Files copied as they are (HTML, CSS), when the folder exists. */
const STATIC_DIR = join(root, "client", "public");

export async function buildClient(outDir = join(root, "dist", "client")): Promise<void> {
  await build({
    entryPoints: Object.fromEntries(
      CLIENT_ENTRIES.map((name) => [name, join(root, "client", "src", `${name}.ts`)]),
    ),
    outdir: outDir,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    sourcemap: true,
    logLevel: "warning",
  });
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  const declarations = spawnSync(
    process.execPath,
    [tsc, "-p", join(root, "client", "tsconfig.build.json"), "--outDir", outDir],
    { encoding: "utf8" },
  );
  if (declarations.status !== 0) {
    throw new Error(`client declarations failed:\n${declarations.stdout}${declarations.stderr}`);
  }
  if (existsSync(STATIC_DIR)) cpSync(STATIC_DIR, outDir, { recursive: true });
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { "out-dir": { type: "string" } } });
  await buildClient(values["out-dir"]);
}

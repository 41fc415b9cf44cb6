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
/**
 * Entry points (paths in client/src/), each built to `<outDir>/<name>.js`: `index` is the `byok-gateway/client`
 * export, `settings-element` the `<byok-settings>` component's module, `settings` the /settings/ page's script.
 */
export const CLIENT_ENTRIES: Readonly<Record<string, string>> = {
  index: "index.ts",
  "settings-element": "settings/index.ts",
  settings: "settings/page.ts",
};
/** Files copied as they are (HTML, CSS), when the folder exists. */
const STATIC_DIR = join(root, "client", "public");
/** The settings page's HTML and CSS, copied beside its script (served by the gateway at /settings/). */
const SETTINGS_FILES: readonly string[] = ["settings.html", "settings.css"];

export async function buildClient(outDir = join(root, "dist", "client")): Promise<void> {
  await build({
    entryPoints: Object.fromEntries(
      Object.entries(CLIENT_ENTRIES).map(([name, path]) => [name, join(root, "client", "src", path)]),
    ),
    outdir: outDir,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    sourcemap: false,
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
  for (const file of SETTINGS_FILES)
    cpSync(join(root, "client", "src", "settings", file), join(outDir, file));
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { "out-dir": { type: "string" } } });
  await buildClient(values["out-dir"]);
}

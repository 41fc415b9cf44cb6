/**
 * @module test/package/install-packed-package
 * Builds the package once, packs it with npm, and installs the tarball into a scratch app outside the repository
 * whose node_modules holds only the package's production dependencies (so nothing resolves from dev packages).
 */
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildClient } from "../../client/build.ts";

export const root = fileURLToPath(new URL("../..", import.meta.url));

export interface PackedPackage {
  /** The scratch directory holding everything (the caller removes it). */
  readonly workDir: string;
  /** The files npm packed, relative to the package root. */
  readonly files: readonly string[];
  /** The scratch app; the package is installed at `<appDir>/node_modules/byok-gateway`. */
  readonly appDir: string;
  readonly packageDir: string;
}

function run(command: string, args: readonly string[], cwd: string): string {
  const result = spawnSync(command, args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, npm_config_loglevel: "error" },
  });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} failed (${result.status}):\n${result.stdout}${result.stderr}`,
    );
  }
  return result.stdout;
}

/**
 * Lockfile packages that a production install has at the top of node_modules, plus the package's peer
 * dependencies (optional ones included: an app that imports the adapter needing one installs it).
 */
function productionDependencies(): string[] {
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as {
    packages: Record<string, { dev?: boolean; devOptional?: boolean; optional?: boolean }>;
  };
  const names: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (!path.startsWith("node_modules/") || entry.dev === true || entry.devOptional === true) continue;
    const name = path.slice("node_modules/".length);
    if (name.includes("/node_modules/")) continue; // nested copies resolve from their parent's real path
    if (existsSync(join(root, "node_modules", name))) names.push(name);
    else if (entry.optional !== true) throw new Error(`production dependency ${name} is not installed`);
  }
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    peerDependencies?: Record<string, string>;
  };
  for (const name of Object.keys(manifest.peerDependencies ?? {})) {
    if (!names.includes(name) && existsSync(join(root, "node_modules", name))) names.push(name);
  }
  return names;
}

/**
 * The package's published files (package.json `files`) are staged in a scratch directory with a fresh
 * build, so the repository's own dist/ (served by tests running beside this one) is left alone;
 * `npm pack --ignore-scripts` then packs exactly what `prepack` + `npm pack` would from a clean clone.
 */
export async function installPackedPackage(): Promise<PackedPackage> {
  const workDir = mkdtempSync(join(tmpdir(), "byok-packed-"));
  const stage = join(workDir, "stage");
  mkdirSync(stage);
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { files: string[] };
  cpSync(join(root, "package.json"), join(stage, "package.json"));
  for (const entry of manifest.files) {
    if (entry !== "dist" && existsSync(join(root, entry)))
      cpSync(join(root, entry), join(stage, entry), { recursive: true });
  }
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  run(
    process.execPath,
    [tsc, "-p", join(root, "tsconfig.build.json"), "--outDir", join(stage, "dist")],
    root,
  );
  await buildClient(join(stage, "dist", "client"));

  const packed = JSON.parse(
    run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", workDir], stage),
  ) as {
    filename: string;
    files: { path: string }[];
  }[];
  const [tarball] = packed;
  if (tarball === undefined) throw new Error("npm pack reported no tarball");

  const appDir = join(workDir, "app");
  const packageDir = join(appDir, "node_modules", "byok-gateway");
  mkdirSync(packageDir, { recursive: true });
  run("tar", ["-xzf", join(workDir, tarball.filename), "-C", packageDir, "--strip-components=1"], workDir);
  for (const name of productionDependencies()) {
    const link = join(appDir, "node_modules", name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(root, "node_modules", name), link, "dir");
  }
  writeFileSync(
    join(appDir, "package.json"),
    `${JSON.stringify({ name: "scratch-app", private: true, type: "module" })}\n`,
  );
  return { workDir, files: tarball.files.map((file) => file.path), appDir, packageDir };
}

/** The rows of docs/library.md's "Public API" table: the name and its entry point. */
export function readPublicApi(): { name: string; entry: string }[] {
  const text = readFileSync(join(root, "docs", "library.md"), "utf8");
  const section = text.split(/^## Public API$/m)[1]?.split(/^## /m)[0] ?? "";
  const rows: { name: string; entry: string }[] = [];
  for (const line of section.split("\n")) {
    const match = /^\|\s*`([A-Za-z_$][\w$]*)`\s*\|\s*`(byok-gateway(?:\/[\w/-]+)?)`\s*\|/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) rows.push({ name: match[1], entry: match[2] });
  }
  return rows;
}

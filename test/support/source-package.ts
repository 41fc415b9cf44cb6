/**
 * @module test/support/source-package
 * Makes `import "byok-gateway"` (and its subpaths) load this repository's sources, as the examples are
 * written against the published package: each `exports` entry's `./dist/<x>.js` is read as `./src/<x>.ts`.
 * Imported for its effect (`node --import ./test/support/source-package.ts app.ts`, or first in a test).
 */
import { existsSync, readFileSync } from "node:fs";
import { registerHooks } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const manifest = JSON.parse(readFileSync(`${root}package.json`, "utf8")) as {
  name: string;
  exports: Record<string, string | { default: string }>;
};

/** Specifier → source file URL, for every export whose source exists. */
const sources = new Map<string, string>();
for (const [subpath, target] of Object.entries(manifest.exports)) {
  const built = typeof target === "string" ? target : target.default;
  const match = /^\.\/dist\/(.+)\.js$/.exec(built);
  if (match === null) continue;
  const source = `${root}src/${match[1]}.ts`;
  if (!existsSync(source)) continue;
  sources.set(
    subpath === "." ? manifest.name : `${manifest.name}${subpath.slice(1)}`,
    pathToFileURL(source).href,
  );
}

registerHooks({
  resolve(specifier, context, nextResolve) {
    const source = sources.get(specifier);
    return source === undefined ? nextResolve(specifier, context) : { url: source, shortCircuit: true };
  },
});

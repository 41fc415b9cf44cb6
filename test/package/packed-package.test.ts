/**
 * The package as a user gets it: packed with npm, installed into a scratch app with only its production
 * dependencies, compiled under strict TypeScript against every name docs/library.md lists, and run on Node.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import ts from "typescript";
import { installPackedPackage, type PackedPackage, readPublicApi, root } from "./install-packed-package.ts";

const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  version: string;
  bin: Record<string, string>;
  exports: Record<string, { types: string; default: string } | string>;
};
const publicApi = readPublicApi();
const entries = [...new Set(publicApi.map((row) => row.entry))];
const isBrowserEntry = (entry: string) => entry.startsWith("byok-gateway/client");

let packed: PackedPackage;
before(async () => {
  packed = await installPackedPackage();
});
after(() => {
  if (packed !== undefined) rmSync(packed.workDir, { recursive: true, force: true });
});

test("docs/library.md lists a public API for every entry point in package.json exports", () => {
  const exported = Object.keys(manifest.exports)
    .filter((subpath) => subpath !== "./package.json")
    .map((subpath) => (subpath === "." ? "byok-gateway" : `byok-gateway/${subpath.slice(2)}`));
  assert.deepEqual([...entries].sort(), exported.sort());
});

test("the tarball holds the build, the docs and the license, and no sources, tests or source maps", () => {
  const files = new Set(packed.files);
  for (const required of ["package.json", "README.md", "LICENSE", "docs/library.md", "dist/main.js"]) {
    assert.ok(files.has(required), `${required} is packed`);
  }
  for (const [subpath, target] of Object.entries(manifest.exports)) {
    for (const file of typeof target === "string" ? [target] : [target.types, target.default]) {
      assert.ok(files.has(file.replace(/^\.\//, "")), `${subpath} → ${file} is packed`);
    }
  }
  for (const file of Object.values(manifest.bin)) assert.ok(files.has(file), `bin ${file} is packed`);
  const leaks = packed.files.filter(
    (file) =>
      /^(src|test|bench|client|deploy|\.ci|data)\//.test(file) ||
      file.endsWith(".map") ||
      (file.endsWith(".ts") && !file.endsWith(".d.ts")) ||
      /(^|\/)\.build-test-/.test(file),
  );
  assert.deepEqual(leaks, []);
  for (const file of packed.files) {
    assert.ok(/^(dist\/|docs\/|README\.md$|LICENSE$|package\.json$)/.test(file), `${file} is expected`);
  }
});

test("what users read stands alone: no packed doc, declaration or comment cites documents outside the package", () => {
  const outside = /SPEC §|STYLE\.md|style guide/i;
  const citing = packed.files.filter(
    (file) =>
      /\.(md|js|d\.ts|html|css)$/.test(file) &&
      outside.test(readFileSync(join(packed.packageDir, file), "utf8")),
  );
  assert.deepEqual(citing, []);
});

/** Type-checks a file importing `names` from each entry; returns every name each entry exports, by kind. */
function compile(file: string, wanted: readonly string[], options: ts.CompilerOptions) {
  const lines: string[] = [];
  wanted.forEach((entry, index) => {
    const names = publicApi.filter((row) => row.entry === entry).map((row) => row.name);
    lines.push(
      `import * as entry${index} from "${entry}";`,
      `import type { ${names.join(", ")} } from "${entry}";`,
    );
    lines.push(`export { entry${index} };`);
  });
  const path = join(packed.appDir, file);
  writeFileSync(path, `${lines.join("\n")}\n`);
  const program = ts.createProgram([path], {
    strict: true,
    skipLibCheck: false,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2024,
    ...options,
  });
  const diagnostics = ts.getPreEmitDiagnostics(program).map((diagnostic) =>
    ts.formatDiagnostic(diagnostic, {
      getCanonicalFileName: (name) => name,
      getCurrentDirectory: () => packed.appDir,
      getNewLine: () => "\n",
    }),
  );
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(path);
  assert.ok(source);
  const exports = new Map<string, { values: Set<string>; all: Set<string> }>();
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    const entry = statement.moduleSpecifier.text;
    if (exports.has(entry)) continue;
    const module = checker.getSymbolAtLocation(statement.moduleSpecifier);
    const found = { values: new Set<string>(), all: new Set<string>() };
    for (const symbol of module === undefined ? [] : checker.getExportsOfModule(module)) {
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      found.all.add(symbol.name);
      if (target.flags & ts.SymbolFlags.Value) found.values.add(symbol.name);
    }
    exports.set(entry, found);
  }
  return { diagnostics, exports };
}

test("strict TypeScript compiles every documented name from the installed package, and nothing is undocumented", () => {
  const server = compile(
    "check-server.ts",
    entries.filter((entry) => !isBrowserEntry(entry)),
    {
      lib: ["lib.es2024.d.ts"],
      types: ["node"],
    },
  );
  // The browser island needs the DOM library and nothing from Node.
  const browser = compile("check-browser.ts", entries.filter(isBrowserEntry), {
    lib: ["lib.es2024.d.ts", "lib.dom.d.ts"],
    types: [],
  });
  assert.deepEqual([...server.diagnostics, ...browser.diagnostics], []);
  for (const entry of entries) {
    const found = (server.exports.get(entry) ?? browser.exports.get(entry))?.all;
    assert.ok(found !== undefined, `${entry} resolves`);
    const documented = publicApi.filter((row) => row.entry === entry).map((row) => row.name);
    assert.deepEqual(
      [...found].sort(),
      [...new Set(documented)].sort(),
      `${entry}: exports and docs/library.md agree`,
    );
  }
  // Node imports every value under its documented name (the settings element needs only HTMLElement to load).
  const values = entries.map((entry) => ({
    entry,
    names: [...((server.exports.get(entry) ?? browser.exports.get(entry))?.values ?? [])],
  }));
  const script = `globalThis.HTMLElement ??= class {};
const missing = [];
for (const { entry, names } of ${JSON.stringify(values)}) {
  const module = await import(entry);
  for (const name of names) if (module[name] === undefined) missing.push(entry + " " + name);
}
console.log(JSON.stringify(missing));
`;
  writeFileSync(join(packed.appDir, "run.mjs"), script);
  const result = spawnSync(process.execPath, ["run.mjs"], { cwd: packed.appDir, encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), []);
  assert.ok(values.every(({ names }) => names.length > 0));
});

test("the installed bin runs on this Node and reports the package version", () => {
  const result = spawnSync(
    process.execPath,
    [join(packed.packageDir, manifest.bin["byok-gateway"] ?? ""), "--version"],
    {
      cwd: packed.appDir,
      encoding: "utf8",
    },
  );
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout.trim(), manifest.version);
});

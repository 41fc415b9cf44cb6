/**
 * @module test/client/bundle-budget
 * The kit as a browser gets it: bundled with esbuild (minified, tree-shaken, browser platform) and gzipped it
 * stays within 10 KB, pulls in no Node built-in, and an app importing one function gets only what it needs.
 */
import assert from "node:assert/strict";
import { isBuiltin } from "node:module";
import { join } from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const root = join(import.meta.dirname, "..", "..");
const entry = join(root, "client", "src", "index.ts");
const BUDGET_BYTES = 10 * 1024;

async function bundle(contents: string) {
  const result = await build({
    stdin: { contents, resolveDir: root, loader: "ts" },
    bundle: true,
    minify: true,
    treeShaking: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const output = result.outputFiles[0]!;
  return { text: output.text, bytes: output.contents.length, metafile: result.metafile };
}

test("the whole kit, minified and gzipped, is within the 10 KB budget", async (t) => {
  const { text, bytes } = await bundle(`export * from ${JSON.stringify(entry)};`);
  const gzipped = gzipSync(text, { level: 9 }).length;
  t.diagnostic(`client kit: ${bytes} bytes minified, ${gzipped} bytes gzipped (budget ${BUDGET_BYTES})`);
  assert.ok(gzipped <= BUDGET_BYTES, `${gzipped} bytes gzipped is over the ${BUDGET_BYTES}-byte budget`);
});

test("the island imports no Node built-in and nothing outside client/src", async () => {
  const { text, metafile } = await bundle(`export * from ${JSON.stringify(entry)};`);
  for (const [path, input] of Object.entries(metafile.inputs)) {
    if (path === "<stdin>") continue;
    assert.match(path, /^client\/src\/[a-z0-9-]+\.ts$/, `${path} is part of the island`);
    for (const imported of input.imports) {
      assert.ok(!isBuiltin(imported.path), `${path} imports the Node built-in ${imported.path}`);
      assert.ok(!imported.external, `${path} leaves ${imported.path} to the runtime`);
    }
  }
  for (const nodeOnly of [/\brequire\(/, /\bprocess\./, /\bBuffer\b/, /["']node:/]) {
    assert.ok(!nodeOnly.test(text), `the bundle mentions ${nodeOnly}`);
  }
});

test("tree-shaking: one function brings only its own modules", async () => {
  const kit = JSON.stringify(entry);
  const onlyHeaders = await bundle(`export { headers } from ${kit};`);
  const onlyFingerprint = await bundle(`export { fingerprint } from ${kit};`);
  const whole = await bundle(`export * from ${kit};`);
  assert.ok(!onlyHeaders.text.includes("428a2f98"), "headers() does not carry SHA-256");
  assert.ok(!onlyFingerprint.text.includes("indexedDB"), "fingerprint() does not carry the IndexedDB store");
  assert.ok(onlyFingerprint.text.includes("428a2f98"));
  assert.ok(whole.text.includes("indexedDB"));
  assert.ok(onlyHeaders.bytes < whole.bytes / 4, `${onlyHeaders.bytes} of ${whole.bytes} bytes`);
});

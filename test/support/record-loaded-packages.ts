/**
 * @module test/support/record-loaded-packages
 * Preloaded with `--import`: records every npm package the process loads and, at exit, writes their names
 * (JSON) to the file LOADED_PACKAGES_FILE names.
 */
import { writeFileSync } from "node:fs";
import { registerHooks } from "node:module";

const packages = new Set<string>();
const PACKAGE = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//;

registerHooks({
  load(url, context, nextLoad) {
    const name = PACKAGE.exec(url)?.[1];
    if (name !== undefined) packages.add(name);
    return nextLoad(url, context);
  },
});

process.on("exit", () => {
  const file = process.env.LOADED_PACKAGES_FILE;
  if (file !== undefined) writeFileSync(file, JSON.stringify([...packages].sort()));
});

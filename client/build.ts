/**
 * @module client/build
 * Builds the client island into dist/client/: the kit (index.js), the settings component module
 * (settings-element.js), the settings page's script (settings.js) and its HTML and CSS, copied as they are.
 */
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "dist", "client");

mkdirSync(out, { recursive: true });
await build({
  entryPoints: {
    index: join(here, "src", "index.ts"),
    "settings-element": join(here, "src", "settings", "index.ts"),
    settings: join(here, "src", "settings", "page.ts"),
  },
  outdir: out,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  sourcemap: false,
  legalComments: "none",
  logLevel: "warning",
});
for (const file of ["settings.html", "settings.css"])
  copyFileSync(join(here, "src", "settings", file), join(out, file));

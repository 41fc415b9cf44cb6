import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { errorCatalog } from "../../src/errors/index.ts";
import { ANTHROPIC_TYPE_OF } from "../../src/wire/anthropic/map-anthropic-error-type.ts";

function documentedErrors(): Array<{ type: string; status: number; message: string; anthropic: string }> {
  const text = readFileSync(new URL("../../docs/api.md", import.meta.url), "utf8");
  const section = /<!-- error-catalog:start -->([\s\S]*?)<!-- error-catalog:end -->/.exec(text);
  assert.ok(section, "docs/api.md has the error-catalog markers");
  return section[1]!
    .split("\n")
    .filter((line) => /^\| `/.test(line))
    .map((line) => {
      const [, type, status, message, anthropic] = line.split("|").map((cell) => cell.trim());
      return {
        type: type!.replaceAll("`", ""),
        status: Number(status),
        message: message!,
        anthropic: (anthropic ?? "").replaceAll("`", ""),
      };
    });
}

test("docs/api.md's error table equals the error catalog, row for row", () => {
  const documented = documentedErrors();
  const catalog = Object.entries(errorCatalog).map(([type, entry]) => ({
    type,
    status: entry.status,
    message: entry.message,
    anthropic: (ANTHROPIC_TYPE_OF as Readonly<Record<string, string>>)[type] ?? "(unmapped)",
  }));
  assert.deepEqual(documented, catalog);
});

test("every catalog type is snake_case with an HTTP error status", () => {
  for (const [type, entry] of Object.entries(errorCatalog)) {
    assert.match(type, /^[a-z]+(_[a-z]+)*$/);
    assert.ok(entry.status >= 400 && entry.status < 600, type);
  }
});

/** @module test/errors/provider-error-fields
 * The one function that turns provider text into client fields: closed code set, identifier-like param,
 * bounded redacted message; and a scan of src/ that keeps it the only way. */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { PROVIDER_MESSAGE_LIMIT, parseProviderErrorFields } from "../../src/errors/index.ts";
import { redactSecrets } from "../../src/keys/redact-secrets.ts";

const redact = (text: string) => redactSecrets(text, []);

test("a known code passes, anything else becomes provider_error", () => {
  for (const code of [
    "rate_limit_exceeded",
    "overloaded_error",
    "RESOURCE_EXHAUSTED",
    "429",
    "INVALID_AUTH",
  ]) {
    assert.equal(parseProviderErrorFields({ message: null, code }, redact).code, code);
  }
  for (const code of ["sk-proj-abcdefghijklmnop", "Bearer x", "my_custom_code", "999", "__proto__"]) {
    assert.equal(parseProviderErrorFields({ message: null, code }, redact).code, "provider_error");
  }
  assert.equal(parseProviderErrorFields({ message: null, code: null }, redact).code, null);
});

test("param passes only as a short identifier path", () => {
  const param = (value: string) =>
    parseProviderErrorFields({ message: null, code: null, param: value }, redact).param;
  assert.equal(param("messages[0].content"), "messages[0].content");
  assert.equal(param("tools.1.function.name"), "tools.1.function.name");
  assert.equal(param("sk-ant-api03-abcdefghijklmnopqrstuvwxyz"), null);
  assert.equal(param("a0123456789abcdef0123456789abcdef0123456789"), null, "a 40-hex key shape");
  assert.equal(param("has space"), null);
  assert.equal(param("x".repeat(200)), null);
});

test("the message is redacted and bounded, a key cut by the window never shows in part", () => {
  const key = "sk-proj-ZZZZabcdefghijklmnopqrstuvwxyz0123";
  const fields = parseProviderErrorFields({ message: `bad key ${key} given`, code: null }, (text) =>
    redactSecrets(text, []),
  );
  assert.equal(fields.message, "bad key [redacted] given");
  // Long key-shaped tokens shrink to `[redacted]`, so what the window cut could land inside the shown text.
  const shrinking = `${"A".repeat(60)} `.repeat(15);
  const cut = `${shrinking}${"word ".repeat(14)}ZZZZ${"q".repeat(30)} tail`;
  const long = parseProviderErrorFields({ message: cut, code: null }, redact);
  assert.ok((long.message?.length ?? 0) <= PROVIDER_MESSAGE_LIMIT + 1);
  assert.ok(long.message?.includes("[redacted]"));
  assert.ok(!long.message?.includes("ZZZZ"), long.message ?? "");
  const huge = parseProviderErrorFields({ message: "word ".repeat(10_000), code: null }, redact);
  assert.equal(huge.message?.length, PROVIDER_MESSAGE_LIMIT + 1);
});

/** Provider error text is read (readError, a stream failure's provider fields) only where it is made safe. */
test("provider error text is read only in the files that pass it through parseProviderErrorFields", () => {
  // The translators only fill a StreamFailure; stream-failure.ts is the one reader of its provider fields.
  const streamFailureFiles = [
    "src/translate/stream-failure.ts",
    "src/translate/openai-chunks-to-anthropic-events.ts",
    "src/translate/anthropic-events-to-openai-chunks.ts",
    "src/translate/openai-to-anthropic-stream.ts",
    "src/translate/anthropic-to-openai-stream.ts",
    "src/translate/chat-chunks-to-responses-events.ts",
  ];
  const allowed = new Map([
    [
      "readError(",
      [
        "src/pipeline/map-upstream-failure.ts",
        "src/enrollment/probe-key.ts",
        "src/providers/provider-adapter.ts",
      ],
    ],
    ["providerMessage", streamFailureFiles],
    ["providerType", streamFailureFiles],
  ]);
  const root = new URL("../../", import.meta.url).pathname;
  const files = (dir: string): string[] =>
    readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory()
        ? files(join(dir, entry.name))
        : entry.name.endsWith(".ts")
          ? [join(dir, entry.name)]
          : [],
    );
  const offenders: string[] = [];
  for (const file of files("src")) {
    const text = readFileSync(join(root, file), "utf8");
    for (const [needle, places] of allowed) {
      if (text.includes(needle) && !places.includes(file)) offenders.push(`${file}: ${needle}`);
    }
  }
  assert.deepEqual(offenders, []);
});

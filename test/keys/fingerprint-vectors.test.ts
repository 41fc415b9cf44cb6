/**
 * @module test/keys/fingerprint-vectors
 * The shared fingerprint vectors (test/fixtures/fingerprint-vectors.json, also run by the client kit in Node
 * and in Chromium): the server's computeFingerprint gives exactly each expected hex; an empty-after-trim
 * key (fingerprint null) has none, and the header intake ignores it.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { computeFingerprint, parseByokHeaders } from "../../src/keys/index.ts";

interface Vector {
  readonly name: string;
  readonly key: string;
  readonly fingerprint: string | null;
}

const vectors = JSON.parse(
  readFileSync(new URL("../fixtures/fingerprint-vectors.json", import.meta.url), "utf8"),
) as Vector[];

test("the vectors cover whitespace, Unicode and empty-after-trim keys", () => {
  assert.ok(vectors.length >= 10);
  assert.ok(vectors.some((vector) => vector.fingerprint === null));
  assert.ok(vectors.some((vector) => vector.key !== vector.key.trim() && vector.fingerprint !== null));
  assert.ok(vectors.some((vector) => [...vector.key.trim()].some((char) => char.codePointAt(0)! > 0x7f)));
});

for (const vector of vectors) {
  test(`fingerprint vector: ${vector.name}`, () => {
    if (vector.fingerprint === null) {
      assert.equal(vector.key.trim(), "", "only an empty-after-trim key has no fingerprint");
      const presented = parseByokHeaders({ "x-byok-openai": vector.key });
      assert.equal(presented.any, false, "the header intake ignores it");
      return;
    }
    assert.match(vector.fingerprint, /^[0-9a-f]{64}$/);
    assert.equal(computeFingerprint(vector.key), vector.fingerprint);
    // Independently: SHA-256 of the UTF-8 bytes of the trimmed key.
    const bytes = Buffer.from(vector.key.trim(), "utf8");
    assert.equal(createHash("sha256").update(bytes).digest("hex"), vector.fingerprint);
  });
}

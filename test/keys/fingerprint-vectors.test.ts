/**
 * @module test/keys/fingerprint-vectors
 * The server's `computeFingerprint` against the vectors the client kit is held to (byte-identical fingerprints).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { computeFingerprint, isFingerprint, parseByokHeaders } from "../../src/keys/index.ts";
import { loadFingerprintVectors } from "../support/fingerprint-vectors.ts";

const vectors = loadFingerprintVectors();

test("the vectors cover whitespace, Unicode, block boundaries and empty-after-trim keys", () => {
  assert.ok(vectors.length >= 15);
  assert.ok(vectors.some((vector) => vector.fingerprint === null));
  assert.ok(
    vectors.some((vector) => [...vector.key.trim()].some((character) => character.charCodeAt(0) > 0x7f)),
  );
  assert.ok(vectors.some((vector) => vector.key !== vector.key.trim() && vector.fingerprint !== null));
});

for (const vector of vectors.filter((candidate) => candidate.fingerprint !== null)) {
  test(`server fingerprint: ${vector.name}`, () => {
    assert.equal(computeFingerprint(vector.key), vector.fingerprint);
    assert.ok(isFingerprint(vector.fingerprint));
  });
}

for (const vector of vectors.filter((candidate) => candidate.fingerprint === null)) {
  test(`server intake ignores a key that is empty after trimming: ${vector.name}`, () => {
    const presented = parseByokHeaders({ "x-byok-openai": vector.key });
    assert.equal(presented.keys.openai, undefined);
    assert.deepEqual(presented.malformed, []);
  });
}

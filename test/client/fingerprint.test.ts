/**
 * @module test/client/fingerprint
 * The kit's fingerprint, WebCrypto and pure-JS paths, against the shared vectors and Node's crypto (seeded).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import fc from "fast-check";
import { encodeUtf8 } from "../../client/src/encode-utf8.ts";
import { fingerprint, fingerprintWith } from "../../client/src/fingerprint.ts";
import { sha256 } from "../../client/src/sha256.ts";
import { computeFingerprint } from "../../src/keys/index.ts";
import { loadFingerprintVectors } from "../support/fingerprint-vectors.ts";

const SEED = 1313;
const vectors = loadFingerprintVectors();

test("the kit's fingerprint equals every vector, with WebCrypto and with the pure-JS SHA-256", async () => {
  assert.ok(globalThis.crypto?.subtle, "Node has WebCrypto: fingerprint() takes that path here");
  for (const vector of vectors) {
    if (vector.fingerprint === null) {
      await assert.rejects(fingerprint(vector.key), TypeError, vector.name);
      await assert.rejects(fingerprintWith(vector.key, undefined), TypeError, vector.name);
      continue;
    }
    assert.equal(await fingerprint(vector.key), vector.fingerprint, vector.name);
    assert.equal(await fingerprintWith(vector.key, undefined), vector.fingerprint, vector.name);
  }
});

test("a non-string key is a TypeError, never a fingerprint of 'undefined'", async () => {
  await assert.rejects(fingerprint(undefined as unknown as string), TypeError);
});

test("the pure-JS SHA-256 equals Node's on random bytes, across every padding length (seeded)", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      assert.equal(
        Buffer.from(sha256(bytes)).toString("hex"),
        createHash("sha256").update(bytes).digest("hex"),
      );
    }),
    { seed: SEED, numRuns: 1500 },
  );
  for (let length = 0; length <= 130; length++) {
    const bytes = new Uint8Array(length).fill(length);
    assert.equal(
      Buffer.from(sha256(bytes)).toString("hex"),
      createHash("sha256").update(bytes).digest("hex"),
    );
  }
});

test("UTF-8 encoding equals Node's, lone surrogates included (seeded)", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 80 }), (text) => {
      assert.deepEqual(Buffer.from(encodeUtf8(text)), Buffer.from(text, "utf8"));
    }),
    { seed: SEED, numRuns: 1500 },
  );
});

test("both paths equal the server's computeFingerprint on random keys (seeded)", async () => {
  const key = fc.oneof(
    fc.string({ unit: "binary", minLength: 1, maxLength: 120 }),
    fc.string({ unit: "binary-ascii", minLength: 1, maxLength: 200 }),
  );
  await fc.assert(
    fc.asyncProperty(key, async (raw) => {
      if (raw.trim() === "") {
        await assert.rejects(fingerprintWith(raw, undefined), TypeError);
        return;
      }
      const expected = computeFingerprint(raw);
      assert.equal(await fingerprintWith(raw, undefined), expected);
      assert.equal(await fingerprint(raw), expected);
    }),
    { seed: SEED, numRuns: 800 },
  );
});

/**
 * The pepper ring's remembered matches (keys/pepper-ring.ts): a repeat skips the HMAC, never changes a
 * decision; checked case by case and against a fresh ring over a seeded, time-bounded random sequence.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  computeFingerprint,
  createPepperRing,
  SecretKey,
  type StoredFingerprint,
} from "../../src/keys/index.ts";

const P1 = new SecretKey("p1-0123456789abcdef0123456789abcdef");
const P2 = new SecretKey("p2-0123456789abcdef0123456789abcdef");

describe("pepper ring: remembered matches", () => {
  test("a repeat of the matching fingerprint still matches; any other fingerprint still mismatches", () => {
    const ring = createPepperRing([P2, P1]);
    const fingerprint = computeFingerprint("sk-right");
    const sealed = ring.seal(fingerprint);
    assert.equal(ring.match(fingerprint, sealed), "match");
    assert.equal(ring.match(fingerprint, sealed), "match");
    assert.equal(ring.match(computeFingerprint("sk-wrong"), sealed), "mismatch");
    assert.equal(ring.match(fingerprint.slice(0, 63), sealed), "mismatch");
    assert.equal(ring.match(`${fingerprint}0`, sealed), "mismatch");
    assert.equal(ring.match("", sealed), "mismatch");
    assert.equal(ring.match(fingerprint, sealed), "match");
  });

  test("an equal stored fingerprint in another object, or another digest, is checked afresh", () => {
    const ring = createPepperRing([P2]);
    const fingerprint = computeFingerprint("sk-right");
    const sealed = ring.seal(fingerprint);
    assert.equal(ring.match(fingerprint, sealed), "match");
    const other: StoredFingerprint = ring.seal(computeFingerprint("sk-other"));
    assert.equal(ring.match(fingerprint, other), "mismatch");
    assert.equal(ring.match(fingerprint, { ...sealed }), "match");
    // A stored object whose digest was replaced (a mutable row) is never answered from the memory.
    const mutable = { ...sealed };
    assert.equal(ring.match(fingerprint, mutable), "match");
    mutable.digest = other.digest;
    assert.equal(ring.match(fingerprint, mutable), "mismatch");
  });

  test("a match under an older pepper is reported as such every time (its upgrade is never skipped)", () => {
    const ring = createPepperRing([P2, P1]);
    const fingerprint = computeFingerprint("sk-old");
    const sealedOld = createPepperRing([P1]).seal(fingerprint);
    assert.equal(ring.match(fingerprint, sealedOld), "match_older_pepper");
    assert.equal(ring.match(fingerprint, sealedOld), "match_older_pepper");
    assert.equal(createPepperRing([P2]).match(fingerprint, sealedOld), "unknown_pepper");
  });

  test("seeded random sequences: the same decisions as a ring that remembers nothing", () => {
    let seed = 0x5eed18;
    const next = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed;
    };
    const ring = createPepperRing([P2, P1]);
    const older = createPepperRing([P1]);
    const fingerprints = Array.from({ length: 6 }, (_, index) => computeFingerprint(`sk-${index}`));
    const stored = fingerprints.flatMap((fingerprint) => [ring.seal(fingerprint), older.seal(fingerprint)]);
    const deadline = Date.now() + 1500;
    let checks = 0;
    while (Date.now() < deadline && checks < 20_000) {
      const presented = fingerprints[next() % fingerprints.length]!;
      const target = stored[next() % stored.length]!;
      const fresh = createPepperRing([P2, P1]).match(presented, target);
      assert.equal(ring.match(presented, target), fresh);
      checks++;
    }
    assert.ok(checks > 100, `only ${checks} checks ran`);
  });
});

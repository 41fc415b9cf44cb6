import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import {
  computeFingerprint,
  createPepperRing,
  MAX_KEY_LENGTH,
  NO_BYOK,
  parseByokHeaders,
  SecretKey,
} from "../../src/keys/index.ts";

describe("fingerprints", () => {
  test("lowercase hex SHA-256 of the trimmed UTF-8 key", () => {
    const expected = createHash("sha256").update("sk-é-key", "utf8").digest("hex");
    assert.equal(computeFingerprint("  sk-é-key\n"), expected);
    assert.match(expected, /^[0-9a-f]{64}$/);
    assert.equal(new SecretKey("sk-é-key").fingerprint(), expected);
  });
});

describe("header intake", () => {
  test("no X-BYOK-* key headers → the shared empty value", () => {
    assert.equal(
      parseByokHeaders({ authorization: "Bearer x", "content-type": "application/json" }),
      NO_BYOK,
    );
    const settingsOnly = parseByokHeaders({
      "x-byok-custom-base-url": "https://a.example.com",
      "x-byok-custom-model": "m",
    });
    assert.equal(settingsOnly.any, false);
    assert.equal(settingsOnly.customBaseUrl, "https://a.example.com");
  });

  test("fetch Headers objects work too", () => {
    const presented = parseByokHeaders(new Headers({ "X-BYOK-Gemini": " g-key " }));
    assert.equal(presented.keys.gemini?.reveal(), "g-key");
  });

  test("over-long, spaced, control-character and repeated values are malformed, never kept", () => {
    const presented = parseByokHeaders({
      "x-byok-openai": "x".repeat(MAX_KEY_LENGTH + 1),
      "x-byok-anthropic": "two words",
      "x-byok-gemini": "tab\there",
      "x-byok-openrouter": ["a", "b"],
      "x-byok-deepgram": "x".repeat(MAX_KEY_LENGTH),
    });
    assert.deepEqual([...presented.malformed].sort(), ["anthropic", "gemini", "openai", "openrouter"]);
    assert.deepEqual(Object.keys(presented.keys), ["deepgram"]);
  });
});

describe("custom-endpoint settings", () => {
  test("an over-long or repeated setting is reported as malformed, never dropped silently", () => {
    const long = parseByokHeaders({
      "x-byok-custom": "sk-new",
      "x-byok-custom-base-url": `https://b.example.com/v1?${"p".repeat(2100)}`,
      "x-byok-custom-model": ["m1", "m2"],
    });
    assert.deepEqual([...long.malformedSettings].sort(), ["x-byok-custom-base-url", "x-byok-custom-model"]);
    assert.equal(long.customBaseUrl, null);
    assert.equal(long.customModel, null);
    assert.equal(long.keys.custom?.reveal(), "sk-new");
    const settingsOnly = parseByokHeaders({
      "x-byok-custom-base-url": ["https://a.example", "https://b.example"],
    });
    assert.equal(settingsOnly.any, false);
    assert.deepEqual(settingsOnly.malformedSettings, ["x-byok-custom-base-url"]);
    const fine = parseByokHeaders({
      "x-byok-custom": "k",
      "x-byok-custom-base-url": " https://a.example/v1 ",
    });
    assert.deepEqual(fine.malformedSettings, []);
    assert.equal(fine.customBaseUrl, "https://a.example/v1");
    assert.deepEqual(
      parseByokHeaders({ "x-byok-custom": "k", "x-byok-custom-model": "  " }).malformedSettings,
      [],
    );
  });
});

describe("pepper ring", () => {
  const P1 = new SecretKey("p1-0123456789abcdef0123456789abcdef");
  const P2 = new SecretKey("p2-0123456789abcdef0123456789abcdef");

  test("seals under the newest pepper; matches, older-pepper matches, mismatches and unknown peppers", () => {
    const old = createPepperRing([P1]);
    const ring = createPepperRing([P2, P1]);
    const fingerprint = computeFingerprint("k");
    const sealed = ring.seal(fingerprint);
    assert.notEqual(sealed.digest, fingerprint);
    assert.equal(ring.match(fingerprint, sealed), "match");
    assert.equal(ring.match(fingerprint, old.seal(fingerprint)), "match_older_pepper");
    assert.equal(ring.match(computeFingerprint("other"), sealed), "mismatch");
    assert.equal(old.match(fingerprint, sealed), "unknown_pepper");
    assert.equal(ring.match(fingerprint, { digest: "abcd", pepperId: ring.newestId }), "mismatch");
  });

  test("refuses short or missing peppers", () => {
    assert.throws(() => createPepperRing([]), /at least one pepper/);
    assert.throws(() => createPepperRing([new SecretKey("short")]), /at least 32/);
  });
});

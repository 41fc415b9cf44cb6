/**
 * @module test/keys/key-quote-check
 * The relays' cheap pre-check (create-key-quote-check.ts) never misses what the redactor would remove for
 * a key in play: seeded texts of key pieces and masks, wherever `redactSecrets` with the key differs from
 * it without the key (the key whole or in a masked form), the check holds the bytes for redaction; the
 * test on a decoded text (whole answers) agrees with the test on its bytes.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { createKeyQuoteCheck, quotesKeyIn } from "../../src/keys/create-key-quote-check.ts";
import { redactSecrets } from "../../src/keys/redact-secrets.ts";
import { SecretKey } from "../../src/keys/secret-key.ts";

const SEED = 1207;
const RAW = "sk-proj-abcdefgh12345678QZXW";
const secrets = [new SecretKey(RAW)];
const quotesKey = createKeyQuoteCheck(secrets);
const check = (text: string) => quotesKey(Buffer.from(text));

test("the masked forms providers echo are found; the tail alone or after one dot is not", () => {
  for (const masked of [
    "sk-pro...QZXW",
    "sk-proj-****QZXW",
    "sk-p…QZXW",
    "key ***QZXW here",
    "sk••QZXW",
    `"content":"sk-pro..QZXW"`,
  ])
    assert.equal(check(masked), true, masked);
  for (const plain of ["QZXW", "a.QZXW", "*QZXW", "sk-pro QZXW", "…QZX", ""])
    assert.equal(check(plain), false, plain);
  assert.equal(check(RAW), true, "the key whole");
});

test("whatever the redactor removes for the key, the check found first (seeded)", () => {
  const piece = fc.constantFrom(
    "sk",
    "sk-pro",
    "QZXW",
    "QZX",
    "W",
    "..",
    ".",
    "**",
    "*",
    "…",
    "•",
    " ",
    '"',
    "x",
    RAW,
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
      const text = pieces.join("");
      if (redactSecrets(text, secrets) !== redactSecrets(text, [])) assert.equal(check(text), true, text);
    }),
    { seed: SEED, numRuns: 2000 },
  );
});

test("the test on a decoded text agrees with the test on its UTF-8 bytes (seeded)", () => {
  const SLASHED = "sk-a/b/c0d/e9";
  const quoting = [new SecretKey(RAW), new SecretKey('sk-"quoted\\key9"'), new SecretKey(SLASHED)];
  const bytesCheck = createKeyQuoteCheck(quoting);
  const piece = fc.constantFrom(
    "sk",
    "QZXW",
    'y9"',
    'y9\\"',
    "..",
    ".",
    "**",
    "…",
    "•",
    "é",
    "\u00e9",
    " ",
    RAW,
    'sk-"quoted\\key9"',
    SLASHED,
    "sk-a\\/b\\/c0d\\/e9",
    "d\\/e9",
    "d/e9",
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 10 }), (pieces) => {
      const text = pieces.join("");
      assert.equal(quotesKeyIn(text, quoting), bytesCheck(Buffer.from(text)), text);
    }),
    { seed: SEED, numRuns: 3000 },
  );
  assert.equal(quotesKeyIn("sk-pro...QZXW", quoting), true);
  assert.equal(quotesKeyIn('{"content":"fine"}', quoting), false);
  // A JSON writer may escape `/` (PHP's json_encode does): the key and its masked tail, as they read then.
  assert.equal(quotesKeyIn('{"k":"sk-a\\/b\\/c0d\\/e9"}', quoting), true);
  assert.equal(bytesCheck(Buffer.from('{"k":"sk-a\\/b\\/c0d\\/e9"}')), true);
  assert.equal(quotesKeyIn('{"k":"sk-a...d\\/e9"}', quoting), true);
  assert.equal(bytesCheck(Buffer.from('{"k":"sk-a...d\\/e9"}')), true);
});

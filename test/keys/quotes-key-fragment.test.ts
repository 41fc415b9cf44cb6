/**
 * @module test/keys/quotes-key-fragment
 * A disguised quote of a key (spaced out, percent-encoded, case changed, its tail) is found; text that
 * only shares a key's short prefix is not. Seeded property test over random keys and disguises.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { quotesKeyFragment } from "../../src/keys/quotes-key-fragment.ts";
import { SecretKey } from "../../src/keys/secret-key.ts";

const KEY = "sk-custom-SECRETKEY-0123456789abcdefXYZ";
const secrets = [new SecretKey(KEY)];

test("the disguises a hostile endpoint used in the review are found", () => {
  for (const echoed of [
    KEY,
    KEY.split("").join(" "),
    encodeURIComponent(KEY).replace(/-/g, "%2D"),
    KEY.slice(-21),
    KEY.toUpperCase(),
    `bad key: ${KEY.replace(/-/g, "_")}`,
  ]) {
    assert.equal(quotesKeyFragment(`bad key: ${echoed}`, secrets), true, echoed);
  }
});

test("a message that quotes no stretch of the key is kept", () => {
  for (const message of ["invalid api key", "Incorrect API key provided: sk-cust***XYZ", "%E0%A4%A", ""]) {
    assert.equal(quotesKeyFragment(message, secrets), false, message);
  }
});

test("any 12-character stretch of a random key, however spaced or cased, is found (seeded)", () => {
  fc.assert(
    fc.property(
      fc.string({
        unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
        minLength: 24,
        maxLength: 80,
      }),
      fc.nat(),
      fc.constantFrom(" ", "-", "%20", "_", ""),
      fc.boolean(),
      (random, at, separator, upper) => {
        const key = `sk-${random}`;
        const start = 3 + (at % (key.length - 3 - 12 + 1));
        let quoted = key
          .slice(start, start + 12)
          .split("")
          .join(separator);
        if (upper) quoted = quoted.toUpperCase();
        return quotesKeyFragment(`the key ${quoted} is not valid`, [new SecretKey(key)]);
      },
    ),
    { seed: 1207, numRuns: 500 },
  );
});

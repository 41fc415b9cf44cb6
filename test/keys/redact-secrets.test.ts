/**
 * @module test/keys/redact-secrets
 * Redaction runs in linear time and bounded stack on any input (finding 1 of issue 12: the backtracking
 * regex overflowed the stack on a few MB of key-shaped text), and keeps the behaviour of the regexes it
 * replaced: the old expressions are the oracle on small random texts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { REDACTED, redactKeysInPlay, redactSecrets } from "../../src/keys/redact-secrets.ts";
import { SecretKey } from "../../src/keys/secret-key.ts";

const SEED = 1206;
const run = <T extends unknown[]>(property: fc.IProperty<T>, numRuns = 300) =>
  fc.assert(property, { seed: SEED, numRuns, interruptAfterTimeLimit: 30_000, markInterruptAsFailure: true });

// The expressions the scanner replaced (kept here as the oracle on inputs small enough for them).
const OLD_KEY_SHAPED =
  /\b(?:sk|pk|rk|gsk|xai|AIza)[-_A-Za-z0-9*.…•]{6,}[-_A-Za-z0-9*…•]|[A-Za-z0-9_\-*…•]{32,}/g;
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
function oldRedact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const raw of secrets) {
    if (raw.length < 4) continue;
    result = result.replaceAll(raw, REDACTED);
    if (raw.length >= 8) {
      const head = escapeRegExp(raw.slice(0, 2));
      const tail = escapeRegExp(raw.slice(-4));
      const masked = new RegExp(`(?:${head}[^\\s"'<>]{0,10}?)?(?:\\.{2,}|\\*{2,}|…|•+)${tail}`, "g");
      result = result.replace(masked, REDACTED);
    }
  }
  return result.replace(OLD_KEY_SHAPED, REDACTED);
}

/** Text built from the characters the rules care about, with prefixes and mask pieces as atoms. */
const edgyText = fc
  .array(
    fc.constantFrom(
      "a",
      "Z",
      "0",
      "_",
      "-",
      ".",
      "..",
      "*",
      "**",
      "…",
      "•",
      " ",
      '"',
      "<",
      "\n",
      "é",
      "sk",
      "sk-",
      "pk_",
      "rk",
      "gsk_",
      "xai-",
      "AIza",
      "abcd",
      "wxyz",
      "ab",
      "x".repeat(20),
      "k".repeat(31),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(""));

test("the scanner answers exactly what the old regexes answered (random edge texts, seeded)", () => {
  const keys = ["abcdefghwxyz", "sk-abcdef.wxyz", "ab**wxyz"];
  run(
    fc.property(edgyText, (text) => {
      assert.equal(redactSecrets(text, []), oldRedact(text, []), JSON.stringify(text));
      const secrets = keys.map((key) => new SecretKey(key));
      assert.equal(redactSecrets(text, secrets), oldRedact(text, keys), JSON.stringify(text));
    }),
    2000,
  );
});

test("known forms: exact keys, masks, vendor prefixes, opaque tokens; a full stop survives", () => {
  const key = new SecretKey("sk-proj-ABCDEFGHIJKLMNOPQRSTUVWXYZ012345");
  const cases: Array<[string, string]> = [
    [
      "Incorrect API key provided: sk-proj-ABCDEFGHIJKLMNOPQRSTUVWXYZ012345.",
      `Incorrect API key provided: ${REDACTED}.`,
    ],
    ["key sk-p…2345 was refused", `key ${REDACTED} was refused`],
    ["key ***2345 was refused", `key ${REDACTED} was refused`],
    ["token AIzaSyD-1234567 here.", `token ${REDACTED} here.`],
    [`opaque ${"A".repeat(40)} end`, `opaque ${REDACTED} end`],
    ["short sk-abc stays.", "short sk-abc stays."],
  ];
  for (const [input, expected] of cases) assert.equal(redactSecrets(input, [key]), expected);
});

test("random text with an embedded key never keeps the key after redaction (seeded)", () => {
  const keyArb = fc.stringMatching(/^[A-Za-z0-9_-]{8,60}$/);
  const filler = fc.string({ maxLength: 200 });
  run(
    fc.property(keyArb, filler, filler, (raw, before, after) => {
      const out = redactSecrets(`${before}${raw}${after}`, [new SecretKey(raw)]);
      assert.equal(out.includes(raw), false, `${JSON.stringify(raw)} survived in ${JSON.stringify(out)}`);
    }),
  );
});

test("huge inputs (tens of MB, key-shaped or not) complete without throwing, in linear time", () => {
  const secrets = [new SecretKey("sk-live-0123456789abcdefWXYZ"), new SecretKey("xxxxxxxxxxxx")];
  const inputs = [
    "x".repeat(5.6e6), // finding 1's reproduction
    "k".repeat(12e6),
    "sk-".repeat(1e6),
    ".".repeat(3e6),
    `${"ab".repeat(1e6)}....WXYZ`,
    "*.".repeat(1e6),
    "word ".repeat(6e5),
    "…".repeat(2e6),
    "xxxx".repeat(1e6),
  ];
  for (const input of inputs) {
    const started = performance.now();
    const out = redactSecrets(input, secrets);
    assert.equal(typeof out, "string");
    // Generous: the regexes this replaces took minutes or overflowed; linear scans take well under this.
    assert.ok(performance.now() - started < 20_000, `slow on ${JSON.stringify(input.slice(0, 12))}…`);
  }
  assert.equal(redactSecrets("x".repeat(5.6e6), []), REDACTED);
});

test("JSON nested in a string (tool-call arguments): a key behind a \\u or \\/ escape is redacted", () => {
  const keys = [new SecretKey("abcd-1234-efgh"), new SecretKey("zz/yy/xx-0987")];
  // The decoded arguments string, as a parsed event holds it: its own JSON escapes one level down.
  const nested = '{"key":"\\u0061bcd-1234-efgh","other":"zz\\/yy\\/xx-0987","masked":"ab\\u2026efgh"}';
  const redacted = redactSecrets(nested, keys);
  assert.equal(redacted, `{"key":"${REDACTED}","other":"${REDACTED}","masked":"${REDACTED}"}`);
  assert.doesNotThrow(() => JSON.parse(redacted), "still JSON");
  // Nothing to redact: the text comes back as it was, escapes and all.
  const plain = '{"a":"\\u00e9\\u0022\\n","b":"x\\/y"}';
  assert.equal(redactSecrets(plain, keys), plain);
  // An escaped backslash is not an escape of what follows it.
  const literal = '{"a":"\\\\u0061bcd-1234-efgh"}';
  assert.equal(redactSecrets(literal, keys), literal);
  // Linear on escapes: 12 MB of them.
  const many = "\\u0020".repeat(2_000_000);
  assert.equal(redactSecrets(many, keys), many);
});

test("a key behind a nested escape is never kept (seeded)", () => {
  const key = new SecretKey("abcd-1234-efgh");
  const escaped = fc.constantFrom(
    "\\u0061bcd-1234-efgh",
    "abcd-1234-ef\\u0067h",
    "\\u0061\\u0062cd-1234-efgh",
    "ab\\u2026efgh",
  );
  const filler = fc.constantFrom("", " ", "\\n", "\\\\", '\\"', "\\u00e9", "x", "{", '"');
  run(
    fc.property(
      fc.array(filler, { maxLength: 6 }),
      escaped,
      fc.array(filler, { maxLength: 6 }),
      (before, key_, after) => {
        const text = `${before.join("")}${key_}${after.join("")}`;
        // A preceding escaped backslash can make the escape literal text: only assert when it is a real escape.
        if (before.join("").endsWith("\\")) return;
        const out = redactSecrets(text, [key]);
        assert.ok(!out.includes("abcd-1234-efgh") && !out.includes(key_), out);
      },
    ),
  );
});

test("relayed content loses only the keys in play (whole, masked, nested-escaped); error text also key-shaped tokens", () => {
  const key = "sk-proj-user-key-0123456789ABCDEFQZXW";
  const secrets = [new SecretKey(key)];
  const content =
    "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT skeptical 123e4567-e89b-12d3-a456-426614174000 " +
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 sk-other-0123456789";
  assert.equal(redactKeysInPlay(content, secrets), content);
  assert.notEqual(redactSecrets(content, secrets), content);
  assert.equal(redactKeysInPlay(`a ${key} b`, secrets), `a ${REDACTED} b`);
  assert.equal(redactKeysInPlay("masked sk-pro...QZXW here", secrets), `masked ${REDACTED} here`);
  const nested = `{\\"k\\":\\"${key.slice(0, 3)}\\u0070${key.slice(4)}\\"}`;
  assert.ok(!redactKeysInPlay(nested, secrets).includes(key.slice(4)), "a key behind a nested escape");
});

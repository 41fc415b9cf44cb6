/** @module test/http/check-json-depth
 * The intake's depth scan agrees with the depth of the parsed value on any JSON text (strings with
 * brackets, quotes and backslashes included), and stays linear on adversarial strings. */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { checkJsonDepth } from "../../src/wire/check-json-depth.ts";

/** The nesting depth of a parsed value, without recursion. */
function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (typeof item !== "object" || item === null) continue;
    deepest = Math.max(deepest, depth + 1);
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return deepest;
}

test("the scan's verdict equals the parsed value's depth, for every limit around it", () => {
  const tricky = fc.constantFrom('\\"', "\\\\", '\\\\"', "[", "]", "{", "}", '"', "\\u005b");
  const value = fc.letrec<{ node: unknown }>((tie) => ({
    node: fc.oneof(
      { depthSize: "medium" },
      fc.string({ unit: fc.oneof(fc.string({ maxLength: 1 }), tricky), maxLength: 12 }),
      fc.integer(),
      fc.constant(null),
      fc.array(tie("node"), { maxLength: 4 }),
      fc.dictionary(
        fc.string({ unit: fc.oneof(fc.string({ maxLength: 1 }), tricky), maxLength: 6 }),
        tie("node"),
        {
          maxKeys: 4,
        },
      ),
    ),
  })).node;
  fc.assert(
    fc.property(value, fc.integer({ min: 0, max: 3 }), (item, space) => {
      const text = JSON.stringify(item, null, space);
      const depth = depthOf(JSON.parse(text));
      assert.equal(checkJsonDepth(text, depth), true, text);
      if (depth > 0) assert.equal(checkJsonDepth(text, depth - 1), false, text);
    }),
    { seed: 64_128, numRuns: 400, interruptAfterTimeLimit: 30_000, markInterruptAsFailure: true },
  );
});

test("deep nesting is refused at the first level past the limit; an unterminated string is left to the parser", () => {
  assert.equal(checkJsonDepth(`${"[".repeat(129)}${"]".repeat(129)}`, 128), false);
  assert.equal(checkJsonDepth(`${"[".repeat(128)}${"]".repeat(128)}`, 128), true);
  assert.equal(checkJsonDepth(`{"a":"[[[[`, 2), true);
  assert.equal(checkJsonDepth(`{"a":"\\\\"}`, 1), true, "an escaped backslash ends before the quote");
  assert.equal(checkJsonDepth(`{"a":"\\"[[["}`, 1), true, "an escaped quote does not end the string");
});

test("adversarial strings (long runs of backslashes and escaped quotes) scan in linear time", () => {
  const runs = `"${"\\\\".repeat(200_000)}${'\\"'.repeat(200_000)}"`;
  const started = performance.now();
  assert.equal(checkJsonDepth(`[${runs},${runs}]`, 1), true);
  // Generous: quadratic work on 1.6 M characters would take minutes.
  assert.ok(performance.now() - started < 5_000);
});

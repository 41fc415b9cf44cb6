/**
 * The mounted endpoints' body reader (library/read-json-body.ts), seeded and time-bounded: any byte split
 * reads the same value, only catalog errors come out, the size bound holds while reading, and plain
 * cases answer as the gateway's own intake does.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { isGatewayError } from "../../src/errors/gateway-error.ts";
import { readJsonBody } from "../../src/library/read-json-body.ts";

const SEED = 1515;
const LIMITS = { seed: SEED, numRuns: 300, interruptAfterTimeLimit: 20_000, markInterruptAsFailure: true };
const options = (contentType: string | null, maxBytes = 4096) => ({ contentType, maxBytes, maxDepth: 16 });

/** `bytes` cut at the given offsets (a multi-byte character may be cut in two). */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    pieces.push(bytes.subarray(start, point));
    start = point;
  }
  pieces.push(bytes.subarray(start));
  return pieces;
}

async function outcome(promise: Promise<unknown>): Promise<{ value: unknown } | { type: string }> {
  try {
    return { value: await promise };
  } catch (error) {
    assert.ok(isGatewayError(error), `only catalog errors come out, got ${String(error)}`);
    return { type: error.type };
  }
}

test(`property (seeded ${SEED}): any split of a JSON body reads the same value as the whole`, async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.jsonValue({ maxDepth: 6 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      async (value, cuts) => {
        const bytes = new TextEncoder().encode(JSON.stringify(value));
        const whole = await outcome(readJsonBody([bytes], options("application/json")));
        const pieces = await outcome(
          readJsonBody(split(bytes, cuts), options("Application/JSON; charset=utf-8")),
        );
        assert.deepEqual(pieces, whole);
        if ("value" in whole && bytes.length <= 4096)
          assert.deepEqual(whole.value, JSON.parse(JSON.stringify(value)));
      },
    ),
    LIMITS,
  );
});

test(`fuzz (seeded ${SEED}): arbitrary bytes and content types give a value or a catalog error, bounded`, async () => {
  const types = fc.constantFrom(
    null,
    "",
    "application/json",
    "text/plain",
    "application/xml",
    "application/jsonx",
  );
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ maxLength: 600 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      types,
      fc.integer({ min: 1, max: 700 }),
      async (bytes, cuts, contentType, maxBytes) => {
        const result = await outcome(readJsonBody(split(bytes, cuts), options(contentType, maxBytes)));
        if (bytes.length > maxBytes) assert.deepEqual(result, { type: "payload_too_large" });
        if ("type" in result) {
          assert.ok(
            ["payload_too_large", "invalid_json", "unsupported_media_type", "invalid_request"].includes(
              result.type,
            ),
            result.type,
          );
        }
      },
    ),
    LIMITS,
  );
});

test("the size bound holds while reading: an endless body stops at the limit", async () => {
  let produced = 0;
  async function* endless() {
    for (;;) {
      produced += 1024;
      yield new Uint8Array(1024).fill(0x20);
    }
  }
  await assert.rejects(readJsonBody(endless(), options("application/json", 8192)), {
    type: "payload_too_large",
  });
  assert.ok(produced <= 9 * 1024, `read ${produced} bytes`);
  await assert.rejects(readJsonBody([], { ...options("application/json", 10), contentLength: "11" }), {
    type: "payload_too_large",
  });
});

test("the gateway intake's answers: empty, depth, poisoning, media types", async () => {
  assert.equal(await readJsonBody(null, options(null)), undefined);
  await assert.rejects(readJsonBody([""], options("application/json")), { type: "invalid_json" });
  await assert.rejects(readJsonBody(["[".repeat(20) + "]".repeat(20)], options("application/json")), {
    type: "invalid_request",
    code: "json_too_deep",
  });
  await assert.rejects(readJsonBody(['{"a":{"__proto__":{"x":1}}}'], options("application/json")), {
    type: "invalid_json",
  });
  await assert.rejects(readJsonBody(['{"constructor":{"prototype":{}}}'], options("application/json")), {
    type: "invalid_json",
  });
  assert.equal(await readJsonBody(["hello"], options("text/plain; charset=utf-8")), "hello");
  await assert.rejects(readJsonBody(["{}"], options("application/xml")), { type: "unsupported_media_type" });
  await assert.rejects(readJsonBody([new Uint8Array([0x7b, 0xff, 0x7d])], options("application/json")), {
    type: "invalid_json",
  });
});

/**
 * The endpoints' prefix and path matching (library/create-node-endpoints.ts), seeded and time-bounded:
 * a prefix is accepted only in its canonical form, and a path is matched only below it, never beside it.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  BYOK_ENDPOINTS,
  type ByokEndpointTypes,
  findByokEndpoint,
  parseEndpointsPrefix,
  pathBelow,
} from "../../src/library/index.ts";

const SEED = 1516;
const LIMITS = { seed: SEED, numRuns: 500, interruptAfterTimeLimit: 10_000, markInterruptAsFailure: true };

test(`property (seeded ${SEED}): a prefix is "" or /segments, anything else is refused at once`, () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 30 }), (prefix) => {
      let parsed: string | null = null;
      try {
        parsed = parseEndpointsPrefix(prefix);
      } catch (error) {
        assert.ok(error instanceof TypeError);
      }
      if (parsed !== null) {
        assert.equal(parsed, prefix);
        assert.ok(
          prefix === "" || (prefix.startsWith("/") && !prefix.endsWith("/") && !prefix.includes("//")),
        );
      }
    }),
    LIMITS,
  );
  for (const bad of ["api", "/api/", "//api", "/a b", "/api?x", "/api#x", "/../x"]) {
    assert.throws(() => parseEndpointsPrefix(bad), TypeError, bad);
  }
  assert.throws(() => parseEndpointsPrefix("/.."), TypeError);
});

test(`property (seeded ${SEED}): a path matches only below its prefix, queries aside`, () => {
  const segment = fc.stringMatching(/^[a-z.]{1,6}$/);
  fc.assert(
    fc.property(
      fc.array(segment, { maxLength: 3 }),
      fc.string({ maxLength: 40 }),
      fc.string({ maxLength: 10 }),
      (segments, rest, query) => {
        const prefix = segments.map((part) => `/${part}`).join("");
        const url = `${rest}?${query}`;
        const below = pathBelow(prefix, url);
        const path = rest.split("?", 1)[0] ?? "";
        if (below === null) assert.ok(prefix !== "" && !path.startsWith(`${prefix}/`));
        else assert.equal(`${prefix}${below}`, path);
      },
    ),
    LIMITS,
  );
  for (const endpoint of BYOK_ENDPOINTS) {
    const below = pathBelow("/api", `/api${endpoint.path}?x=1`);
    assert.equal(findByokEndpoint(endpoint.method.toLowerCase(), below ?? ""), endpoint);
    assert.equal(pathBelow("/api", `/apix${endpoint.path}`), null);
  }
});

test("ByokEndpointTypes names every endpoint of the table, and only those", () => {
  // A key missing or extra here fails the type check; the table is compared at run time.
  const typed: Record<keyof ByokEndpointTypes, true> = {
    "PUT /v1/byok/enrollment": true,
    "GET /v1/byok/enrollment": true,
    "DELETE /v1/byok/enrollment": true,
    "POST /v1/byok/heartbeat": true,
    "POST /v1/byok/verify": true,
    "GET /v1/byok/routes": true,
    "GET /v1/usage": true,
  };
  assert.deepEqual(
    BYOK_ENDPOINTS.map((endpoint) => `${endpoint.method} ${endpoint.path}`).sort(),
    Object.keys(typed).sort(),
  );
});

/**
 * @module test/http/check-live-handshake.test
 * The live upgrade's handshake check agrees with `ws` itself: a seeded fuzz over `Sec-WebSocket-Protocol`
 * values (refused exactly when ws's own parser throws), and the version and key rules.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import path from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { checkLiveHandshake } from "../../src/http/routes/check-live-handshake.ts";

const SEED = 19;
// ws's own parser (not exported by the package: loaded by its file path).
const require = createRequire(import.meta.url);
const subprotocol = require(path.resolve("node_modules/ws/lib/subprotocol.js")) as {
  parse(header: string): Set<string>;
};

const base = {
  upgrade: "websocket",
  "sec-websocket-version": "13",
  "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
};

function wsAccepts(header: string): boolean {
  try {
    subprotocol.parse(header);
    return true;
  } catch {
    return false;
  }
}

test("Sec-WebSocket-Protocol is refused exactly when ws would refuse it (seeded fuzz)", () => {
  const piece = fc.constantFrom("a", "b", "token", ",", " ", "\t", ", ", "(", "é", "x-y");
  fc.assert(
    fc.property(fc.array(piece, { minLength: 1, maxLength: 12 }), (pieces) => {
      // As it arrives: Node's HTTP parser strips a header value's leading and trailing whitespace.
      const header = pieces.join("").replace(/^[ \t]+|[ \t]+$/g, "");
      const decision = checkLiveHandshake({ ...base, "sec-websocket-protocol": header });
      assert.equal(decision.ok, wsAccepts(header), JSON.stringify(header));
    }),
    { seed: SEED, numRuns: 2000, interruptAfterTimeLimit: 30_000, markInterruptAsFailure: true },
  );
});

test("version 13 only (426 with Sec-WebSocket-Version: 13), a 16-byte base64 key, Upgrade: websocket", () => {
  assert.equal(checkLiveHandshake(base).ok, true);
  const version = checkLiveHandshake({ ...base, "sec-websocket-version": "8" });
  assert.ok(!version.ok);
  assert.equal(version.error.status, 426);
  assert.equal(version.error.headers["sec-websocket-version"], "13");
  for (const key of ["short", "dGhlIHNhbXBsZSBub25jZQ=", "dGhlIHNhbXBsZSBub25jZQ=x"]) {
    const decision = checkLiveHandshake({ ...base, "sec-websocket-key": key });
    assert.ok(!decision.ok && decision.error.status === 400, key);
  }
  const upgrade = checkLiveHandshake({ ...base, upgrade: "h2c" });
  assert.ok(!upgrade.ok && upgrade.error.status === 400);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { createRequestIds } from "../../src/http/create-request-ids.ts";

const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

test("request ids are spelled like UUIDs and never repeat within a process", () => {
  const next = createRequestIds();
  const seen = new Set<string>();
  for (let index = 0; index < 100_000; index++) {
    const id = next();
    assert.match(id, UUID_SHAPE);
    seen.add(id);
  }
  assert.equal(seen.size, 100_000);
});

test("two processes (two generators) draw different prefixes", () => {
  const prefixes = new Set(Array.from({ length: 50 }, () => createRequestIds()().slice(0, 24)));
  assert.equal(prefixes.size, 50);
});

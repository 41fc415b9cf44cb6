/**
 * @module test/store/replay-queue
 * The replay queue's edges: what is kept after close is reported dropped at once (nothing replays then),
 * and close replays once more before it reports what still fails.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createReplayQueue, type ReplayDropReason } from "../../src/store/create-replay-queue.ts";

test("close replays once more, reports what still fails, and reports at once what is kept after it", async () => {
  const applied: string[] = [];
  const dropped: [number, ReplayDropReason][] = [];
  let failing = new Set(["b"]);
  const queue = createReplayQueue<number>({
    apply: async (id) => {
      if (failing.has(id)) throw new Error("store away");
      applied.push(id);
    },
    maxPending: 10,
    everyMs: 60_000,
    onDropped: (count, reason) => dropped.push([count, reason]),
  });
  queue.keep("a", 1);
  queue.keep("b", 2);
  await queue.close();
  assert.deepEqual(applied, ["a"]);
  assert.deepEqual(dropped, [[1, "close"]]);
  failing = new Set();
  queue.keep("c", 3); // a failure after close: nothing will replay it
  assert.deepEqual(dropped, [
    [1, "close"],
    [1, "close"],
  ]);
  assert.equal(queue.size, 0);
});

/**
 * @module test/store/sqlite-settle-replay
 * SQLite: a settle that fails for real (another connection holds the file's write lock past the busy
 * timeout) is replayed once the lock is gone, counted once; the replay queue's bound, and close's flush.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { test } from "node:test";
import { createDurableQuotaCounters } from "../../src/store/create-durable-quota-counters.ts";
import { createSqliteQuotaCounterRepository } from "../../src/store/sqlite/create-sqlite-quota-counter-repository.ts";
import { openSqliteConnection } from "../../src/store/sqlite/open-sqlite-connection.ts";
import { migrateSqlite } from "../../src/store/sqlite/sqlite-migrations.ts";
import { createTempDir } from "../support/start-gateway.ts";
import { counterKey } from "./counter-conformance.ts";

const NOW = Date.now();
const LEASE = { now: NOW, expiresAt: NOW + 15 * 60_000 };

/** Counters on a fresh file whose busy timeout is short, and a second connection that can hold its write lock. */
function openFile(options: Parameters<typeof createDurableQuotaCounters>[1] = {}) {
  const path = join(createTempDir(), "settle.sqlite");
  const connection = openSqliteConnection(path);
  migrateSqlite(connection.db);
  connection.db.exec("PRAGMA busy_timeout = 20");
  const counters = createDurableQuotaCounters(createSqliteQuotaCounterRepository(connection), {
    replayEveryMs: 60_000,
    ...options,
  });
  const other = new DatabaseSync(path);
  return {
    counters,
    lock: () => other.exec("BEGIN IMMEDIATE"),
    unlock: () => other.exec("COMMIT"),
    async close() {
      await counters.close();
      other.close();
      connection.close();
    },
  };
}

test("a settle refused by a locked file is replayed: usage counted once, the hold released", async () => {
  const file = openFile();
  const key = counterKey("sqlite-locked", "tokens");
  try {
    await file.counters.reserve("locked-1", [{ key, amount: 40, fit: 1, limit: 100 }], LEASE);
    file.lock();
    await assert.rejects(file.counters.settle("locked-1", [{ key, delta: 6 }]), /locked|busy/i);
    assert.equal(file.counters.pendingSettles, 1);
    // Still away: the replay fails and keeps it.
    await file.counters.replaySettles();
    assert.equal(file.counters.pendingSettles, 1);
    file.unlock();
    assert.deepEqual(await file.counters.readState([key], NOW), [{ committed: 0, reserved: 40 }]);
    await file.counters.replaySettles();
    assert.equal(file.counters.pendingSettles, 0);
    assert.deepEqual(await file.counters.readState([key], NOW), [{ committed: 6, reserved: 0 }]);
    await file.counters.replaySettles();
    assert.deepEqual(await file.counters.readState([key], NOW), [{ committed: 6, reserved: 0 }]);
  } finally {
    await file.close();
  }
});

test("the replay queue is bounded (oldest dropped, reported); close reports what still cannot land", async () => {
  const dropped: number[] = [];
  const file = openFile({ maxPendingSettles: 2, onSettleDropped: (count) => dropped.push(count) });
  const key = counterKey("sqlite-bound", "requests");
  file.lock();
  for (const id of ["a", "b", "c"]) {
    await assert.rejects(file.counters.settle(id, [{ key, delta: 1 }]));
  }
  assert.equal(file.counters.pendingSettles, 2);
  assert.deepEqual(dropped, [1]);
  await file.counters.close(); // the file is still locked: both are reported
  assert.deepEqual(dropped, [1, 2]);
  file.unlock();
  await file.close();
});

test("a refused argument is never queued for replay", async () => {
  const file = openFile();
  try {
    await assert.rejects(
      file.counters.settle("bad", [{ key: counterKey("sqlite-bad", "tokens"), delta: Number.NaN }]),
      RangeError,
    );
    assert.equal(file.counters.pendingSettles, 0);
  } finally {
    await file.close();
  }
});

test("sweepExpired prunes settle markers older than their keep (a replay after that would apply)", async () => {
  const file = openFile();
  const key = counterKey("sqlite-prune", "tokens");
  try {
    await file.counters.settle("pruned", [{ key, delta: 1 }]);
    await file.counters.sweepExpired(Date.now());
    await file.counters.settle("pruned", [{ key, delta: 1 }], { replay: true });
    assert.deepEqual(await file.counters.read([key]), [1], "a fresh marker is kept");
    await file.counters.sweepExpired(Date.now() + 31 * 60_000);
    await file.counters.settle("pruned", [{ key, delta: 1 }], { replay: true });
    assert.deepEqual(await file.counters.read([key]), [2]);
  } finally {
    await file.close();
  }
});

/**
 * One conformance suite for the Store interface, run against every implementation: SQLite on a file and in
 * memory, and PostgreSQL in a random schema of the machine's server (dropped after; fails when it is down).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, describe, test } from "node:test";
import {
  createPostgresStore,
  createSqliteStore,
  type EnrollmentRecord,
  migrateSqlite,
  SQLITE_MIGRATIONS,
  type Store,
} from "../../src/store/index.ts";
import { createTestSchema } from "../support/postgres.ts";
import { createTempDir } from "../support/start-gateway.ts";
import { counterConformance, counterKey } from "./counter-conformance.ts";
import { reservationConformance } from "./reservation-conformance.ts";
import { usageConformance } from "./usage-conformance.ts";

interface Implementation {
  readonly name: string;
  readonly open: () => Promise<Store>;
  /** Two stores on the same data (a shared file, a server), when the implementation can have that. */
  readonly openTwin?: () => Promise<readonly [Store, Store]>;
  /** After the store closed: drops what the run created. */
  readonly cleanUp?: () => Promise<void>;
}

const postgres = await createTestSchema();
// The suites move fake times (T = 2026-01-01) to end leases: leases are read on the caller's clock.
const openPostgres = () =>
  createPostgresStore({ url: postgres.url, schema: postgres.schema, clock: "caller" });

const implementations: Implementation[] = [
  {
    name: "sqlite file",
    open: async () => createSqliteStore({ path: join(createTempDir(), "store.sqlite") }),
    openTwin: async () => {
      const path = join(createTempDir(), "twin.sqlite");
      return [createSqliteStore({ path }), createSqliteStore({ path })];
    },
  },
  { name: "sqlite memory", open: async () => createSqliteStore({ path: ":memory:" }) },
  {
    name: "postgres",
    open: openPostgres,
    // Two more pools on the same schema: what two replicas see.
    openTwin: async () => [await openPostgres(), await openPostgres()],
    cleanUp: () => postgres.drop(),
  },
];

const stored = (digest: string) => ({ digest, pepperId: "pepper-a" });

for (const { name, open, openTwin, cleanUp } of implementations) {
  const store = await open();
  describe(`Store conformance: ${name}`, () => {
    after(async () => {
      await store.close();
      await cleanUp?.();
    });

    test("users: create once, get, list, revoke revokes tokens", async () => {
      assert.equal(await store.users.create({ id: "u1", plan: "pro", createdAt: 1, revokedAt: null }), true);
      assert.equal(await store.users.create({ id: "u1", plan: null, createdAt: 2, revokedAt: null }), false);
      assert.deepEqual(await store.users.get("u1"), { id: "u1", plan: "pro", createdAt: 1, revokedAt: null });
      assert.equal(await store.users.get("missing"), null);
      await store.tokens.add({ hash: "h1", userId: "u1", createdAt: 3, revokedAt: null });
      assert.deepEqual(await store.tokens.findByHash("h1"), {
        hash: "h1",
        userId: "u1",
        createdAt: 3,
        revokedAt: null,
      });
      assert.equal(await store.tokens.findByHash("nope"), null);
      assert.equal(await store.users.revoke("u1", 10), true);
      assert.equal(await store.users.revoke("missing", 10), false);
      assert.equal((await store.users.get("u1"))?.revokedAt, 10);
      assert.equal((await store.tokens.findByHash("h1"))?.revokedAt, 10);
      assert.deepEqual(
        (await store.users.list()).map((user) => user.id),
        ["u1"],
      );
    });

    test("users: setPlan sets and clears a plan; false for no such user", async () => {
      await store.users.create({ id: "planned", plan: null, createdAt: 1, revokedAt: null });
      assert.equal(await store.users.setPlan("planned", "pro"), true);
      assert.equal((await store.users.get("planned"))?.plan, "pro");
      assert.equal(await store.users.setPlan("planned", null), true);
      assert.equal((await store.users.get("planned"))?.plan, null);
      assert.equal(await store.users.setPlan("missing", "pro"), false);
      assert.equal(await store.users.get("missing"), null);
    });

    test("enrollments: put replaces whole, touch, replaceFingerprint compares, delete", async () => {
      const base = { userId: "e1", customBaseUrl: null, customModel: null, enrolledAt: 5, lastSeenAt: 5 };
      assert.equal(
        await store.enrollments.put({
          ...base,
          fingerprints: { openai: stored("a"), anthropic: stored("b") },
        }),
        null,
        "the first put replaced nothing",
      );
      const replaced = await store.enrollments.put({
        ...base,
        fingerprints: { custom: stored("c") },
        customBaseUrl: "https://x.example.com/v1",
        customModel: "m",
      });
      assert.deepEqual(
        replaced?.fingerprints,
        { openai: stored("a"), anthropic: stored("b") },
        "what it replaced",
      );
      const record = await store.enrollments.get("e1");
      assert.deepEqual(record?.fingerprints, { custom: stored("c") });
      assert.equal(record?.customBaseUrl, "https://x.example.com/v1");
      assert.equal(record?.customModel, "m");
      // Nothing declared reads back as null; a declared list as written.
      assert.equal(record?.customCapabilities ?? null, null);
      await store.enrollments.put({
        ...base,
        fingerprints: { custom: stored("c") },
        customBaseUrl: "https://x.example.com/v1",
        customModel: "m",
        customCapabilities: ["chat", "embeddings"],
      });
      assert.deepEqual((await store.enrollments.get("e1"))?.customCapabilities, ["chat", "embeddings"]);
      assert.equal(await store.enrollments.touch("e1", 99), true);
      assert.equal((await store.enrollments.get("e1"))?.lastSeenAt, 99);
      assert.equal(await store.enrollments.touch("nobody", 99), false);
      const next = { digest: "d", pepperId: "pepper-b" };
      assert.equal(await store.enrollments.replaceFingerprint("e1", "custom", stored("stale"), next), false);
      assert.equal(await store.enrollments.replaceFingerprint("e1", "custom", stored("c"), next), true);
      assert.deepEqual((await store.enrollments.get("e1"))?.fingerprints.custom, next);
      assert.equal(await store.enrollments.delete("e1"), true);
      assert.equal(await store.enrollments.get("e1"), null);
      assert.equal(await store.enrollments.delete("e1"), false);
    });

    test("enrollments: puts of one user at once take turns, each answering what the one before it wrote", async () => {
      // Two stores on the same data (replicas) where the implementation has them; else one.
      const [first, second] = openTwin ? await openTwin() : [store, store];
      const base = { customBaseUrl: null, customModel: null, enrolledAt: 5, lastSeenAt: 5 };
      const digestOf = (record: EnrollmentRecord | null) => record?.fingerprints.openai?.digest ?? "none";
      try {
        // Bounded: 12 rounds of 4 writers; rounds 0 and 6 start with no enrollment (the first one's race).
        for (let round = 0; round < 12; round++) {
          const userId = `race-${round < 6 ? "a" : "b"}`;
          if (round % 6 === 0) await first.enrollments.delete(userId);
          const before = digestOf(await first.enrollments.get(userId));
          const written = Array.from({ length: 4 }, (_, writer) => `r${round}-w${writer}`);
          const answers = await Promise.all(
            written.map((digest, writer) =>
              (writer % 2 === 0 ? first : second).enrollments.put({
                ...base,
                userId,
                fingerprints: { openai: stored(digest) },
              }),
            ),
          );
          const after = digestOf(await second.enrollments.get(userId));
          // One order of the writes explains every answer: each replaced exactly one state, once.
          const replaced = answers.map(digestOf).sort();
          const expected = [before, ...written.filter((digest) => digest !== after)].sort();
          assert.deepEqual(replaced, expected, `round ${round}: what the puts answered`);
        }
      } finally {
        if (openTwin) await Promise.all([first.close(), second.close()]);
      }
    });

    usageConformance(store);
    counterConformance(store, openTwin);
    reservationConformance(store, openTwin);

    test("ping answers", async () => {
      await assert.doesNotReject(store.ping());
    });
  });
}

test("SQLite migrations are versioned and run once", () => {
  const db = new DatabaseSync(":memory:");
  assert.deepEqual(
    migrateSqlite(db),
    SQLITE_MIGRATIONS.map((migration) => migration.version),
  );
  assert.deepEqual(migrateSqlite(db), []);
  const rows = db.prepare("SELECT version FROM schema_migrations").all();
  assert.equal(rows.length, SQLITE_MIGRATIONS.length);
  const failing = [{ version: 99, name: "broken", sql: "CREATE TABLE users (id TEXT)" }];
  assert.throws(() => migrateSqlite(db, failing), /already exists/);
  assert.equal(
    db.prepare("SELECT COUNT(*) AS n FROM schema_migrations WHERE version = 99").get()?.n,
    0,
    "rolled back",
  );
  db.close();
});

test("SQLite migrations upgrade a database from an earlier version and keep its rows", () => {
  const db = new DatabaseSync(":memory:");
  assert.deepEqual(migrateSqlite(db, SQLITE_MIGRATIONS.slice(0, 1)), [1]);
  db.prepare("INSERT INTO users (id, plan, created_at, revoked_at) VALUES ('kept', NULL, 1, NULL)").run();
  assert.deepEqual(
    migrateSqlite(db),
    SQLITE_MIGRATIONS.slice(1).map((migration) => migration.version),
  );
  assert.equal(db.prepare("SELECT COUNT(*) AS n FROM users").get()?.n, 1);
  assert.equal(db.prepare("SELECT COUNT(*) AS n FROM quota_counters").get()?.n, 0);
  db.close();
});

test("SQLite: reservations of a process that died are dropped at the next open once their lease ended", async () => {
  const path = join(createTempDir(), "crashed.sqlite");
  const crashed = createSqliteStore({ path });
  const key = counterKey("crashed", "tokens");
  const started = Date.now() - 120_000;
  const ended = await crashed.counters.reserve("ended-lease", [{ key, amount: 4000, fit: 1, limit: 10 }], {
    now: started,
    expiresAt: Date.now() - 1000,
  });
  assert.deepEqual(ended, { ok: true });
  // Another live process's reservation on the same file keeps its lease.
  const live = await crashed.counters.reserve("live-lease", [{ key, amount: 5, fit: 1, limit: 1e9 }], {
    now: started,
    expiresAt: Date.now() + 600_000,
  });
  assert.deepEqual(live, { ok: true });
  await crashed.close(); // never settled: as if the process died

  const reopened = createSqliteStore({ path });
  try {
    const db = new DatabaseSync(path);
    const rows = db.prepare("SELECT id FROM quota_reservations ORDER BY id").all();
    db.close();
    assert.deepEqual(
      rows.map((row) => row.id),
      ["live-lease"],
    );
    assert.deepEqual(await reopened.counters.readState([key], Date.now()), [{ committed: 0, reserved: 5 }]);
  } finally {
    await reopened.close();
  }
});

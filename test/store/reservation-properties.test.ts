/**
 * @module test/store/reservation-properties.test
 * The reservation property test (reservation-properties.ts) against the SQLite and PostgreSQL counters
 * (Redis's runs in test/store/redis/).
 */
import { after } from "node:test";
import { createPostgresStore, createSqliteStore } from "../../src/store/index.ts";
import { createTestSchema } from "../support/postgres.ts";
import { reservationProperties } from "./reservation-properties.ts";

reservationProperties("sqlite", () => createSqliteStore({ path: ":memory:" }));

const cleanUps: Array<() => Promise<void>> = [];
after(async () => {
  for (const cleanUp of cleanUps) await cleanUp();
});
reservationProperties("postgres", async () => {
  const schema = await createTestSchema();
  cleanUps.push(() => schema.drop());
  // The model moves fake times to end leases: read on the caller's clock.
  return createPostgresStore({ url: schema.url, schema: schema.schema, clock: "caller" });
});

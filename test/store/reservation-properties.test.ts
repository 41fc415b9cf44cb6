/**
 * @module test/store/reservation-properties.test
 * The reservation property test (reservation-properties.ts) against the SQLite and PostgreSQL counters.
 */
import { after } from "node:test";
import { createPostgresStore, createSqliteStore } from "../../src/store/index.ts";
import { createTestSchema, type TestSchema } from "../support/postgres.ts";
import { reservationProperties } from "./reservation-properties.ts";

reservationProperties("sqlite", () => createSqliteStore({ path: ":memory:" }));

const schemas: TestSchema[] = [];
after(async () => {
  for (const schema of schemas) await schema.drop();
});
reservationProperties("postgres", async () => {
  const schema = await createTestSchema();
  schemas.push(schema);
  return createPostgresStore({ url: schema.url, schema: schema.schema });
});

/**
 * @module test/store/reservation-properties.test
 * The reservation property test (reservation-properties.ts) against the SQLite counters.
 */
import { createSqliteStore } from "../../src/store/index.ts";
import { reservationProperties } from "./reservation-properties.ts";

reservationProperties("sqlite", () => createSqliteStore({ path: ":memory:" }));

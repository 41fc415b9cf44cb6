/**
 * @module metering/create-usage-record-ids
 * Usage record ids without a `randomUUID()` each: a random 80-bit prefix drawn once per process (a cluster's
 * workers each draw their own) then a 48-bit counter, spelled like a UUID and ascending within a process.
 */
import { randomBytes } from "node:crypto";

export interface UsageRecordIdsOptions {
  /** Random bytes for a prefix; the CSPRNG by default (tests pass their own). */
  readonly random?: (size: number) => Buffer;
  /** Ids per prefix before a fresh one is drawn: 2^48 by default (tests use fewer). */
  readonly counterLimit?: number;
}

const COUNTER_DIGITS = 12;

/**
 * A generator of ids unique within the process (the counter) and, with 80 random bits of prefix, across
 * processes and restarts like a UUID. Fixed-width, so they ascend in generation order within a prefix: a
 * store's unique index on them grows at one end. They name things; never shown to a client, they guard nothing (not unpredictable).
 */
export function createUsageRecordIds(options: UsageRecordIdsOptions = {}): () => string {
  const random = options.random ?? randomBytes;
  const limit = Math.min(options.counterLimit ?? 2 ** 48, 2 ** 48);
  let prefix = "";
  let counter = limit;
  return () => {
    if (counter >= limit) {
      const hex = random(10).toString("hex");
      prefix = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-`;
      counter = 0;
    }
    const id = prefix + counter.toString(16).padStart(COUNTER_DIGITS, "0");
    counter += 1;
    return id;
  };
}

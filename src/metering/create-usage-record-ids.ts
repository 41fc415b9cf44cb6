/**
 * @module metering/create-usage-record-ids
 * Usage record ids: unique like a UUID (a random 96-bit prefix per process, then a counter) but ascending, so the
 * stores' unique index on the id grows at one end instead of dirtying a random page per record.
 */
import { randomBytes } from "node:crypto";

export interface UsageRecordIdsOptions {
  /** Bytes for a prefix; default 12 from the CSPRNG. */
  readonly random?: (size: number) => Buffer;
  /** Hex digits of the counter, default 12: 16^12 ids per prefix, then a fresh prefix (tests use fewer). */
  readonly counterDigits?: number;
}

export interface UsageRecordIds {
  /** The next id: the prefix (16 base64url characters) then the counter in fixed-width hex; 28 characters by default. */
  next(): string;
}

export function createUsageRecordIds(options: UsageRecordIdsOptions = {}): UsageRecordIds {
  const random = options.random ?? randomBytes;
  const digits = options.counterDigits ?? 12;
  const limit = 16 ** digits;
  let prefix = "";
  let counter = limit;
  return {
    next() {
      if (counter >= limit) {
        prefix = random(12).toString("base64url");
        counter = 0;
      }
      const id = prefix + counter.toString(16).padStart(digits, "0");
      counter += 1;
      return id;
    },
  };
}

/**
 * @module http/create-request-ids
 * Request ids without a `randomUUID()` per request: a random prefix drawn once per process (a cluster's
 * workers each draw their own) and a counter, spelled like a UUID (36 characters, hex digits and dashes).
 */
import { randomBytes } from "node:crypto";

/** The counter's 48 bits (12 hex digits) wrap after 2^48 requests, far beyond any process's life. */
const COUNTER_LIMIT = 2 ** 48;

/**
 * Returns a generator of ids unique within the process (a counter) and, with 80 random bits of prefix per
 * process, across processes and restarts. They name a request in logs and answers; they guard nothing.
 */
export function createRequestIds(): () => string {
  const random = randomBytes(10).toString("hex");
  const prefix = `${random.slice(0, 8)}-${random.slice(8, 12)}-${random.slice(12, 16)}-${random.slice(16, 20)}-`;
  let counter = 0;
  return () => {
    counter = (counter + 1) % COUNTER_LIMIT;
    return prefix + counter.toString(16).padStart(12, "0");
  };
}

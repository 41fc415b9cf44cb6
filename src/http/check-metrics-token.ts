/**
 * @module http/check-metrics-token
 * Whether a scrape may read /metrics: always when no `metrics.token` is set, else only with
 * `Authorization: Bearer <token>` (compared in constant time, on digests so lengths leak nothing).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { SecretKey } from "../keys/secret-key.ts";

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();

export function createMetricsTokenCheck(token: SecretKey | undefined): (authorization: unknown) => boolean {
  if (token === undefined) return () => true;
  const expected = digest(`Bearer ${token.reveal()}`);
  return (authorization) =>
    typeof authorization === "string" && timingSafeEqual(digest(authorization.trim()), expected);
}

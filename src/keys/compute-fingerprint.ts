/**
 * @module keys/compute-fingerprint
 * The enrollment fingerprint a client computes: lowercase hex SHA-256 of the trimmed key (docs/security-model.md).
 */
import { hash } from "node:crypto";

export const FINGERPRINT_PATTERN = /^[0-9a-f]{64}$/;

export function computeFingerprint(rawKey: string): string {
  return hash("sha256", rawKey.trim(), "hex");
}

export function isFingerprint(value: unknown): value is string {
  return typeof value === "string" && FINGERPRINT_PATTERN.test(value);
}

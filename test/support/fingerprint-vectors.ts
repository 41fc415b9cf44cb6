/**
 * @module test/support/fingerprint-vectors
 * The shared fingerprint vectors (test/fixtures/fingerprint-vectors.json) the server, the kit and Chromium check.
 */
import { readFileSync } from "node:fs";

export interface FingerprintVector {
  readonly name: string;
  readonly key: string;
  /** `null`: the key is empty after trimming; the kit throws and the server's header intake ignores it. */
  readonly fingerprint: string | null;
}

export const FINGERPRINT_VECTORS_PATH = new URL("../fixtures/fingerprint-vectors.json", import.meta.url);

export function loadFingerprintVectors(): FingerprintVector[] {
  return JSON.parse(readFileSync(FINGERPRINT_VECTORS_PATH, "utf8")) as FingerprintVector[];
}

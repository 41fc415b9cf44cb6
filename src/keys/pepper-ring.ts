/**
 * @module keys/pepper-ring
 * Server peppers, newest first: stores HMAC-SHA256(pepper, fingerprint) and matches in constant time,
 * remembering per stored fingerprint the presented one that last matched it (no HMAC for a repeat).
 */
import {
  createHash,
  createHmac,
  createSecretKey,
  hkdfSync,
  type KeyObject,
  timingSafeEqual,
} from "node:crypto";
import type { SecretKey } from "./secret-key.ts";

/** What the store keeps for one enrolled key: never the client fingerprint itself. */
export interface StoredFingerprint {
  /** Lowercase hex HMAC-SHA256(pepper, fingerprint-hex). */
  readonly digest: string;
  /** Which pepper made it (a short public id derived from the pepper). */
  readonly pepperId: string;
}

export type FingerprintMatch = "match" | "match_older_pepper" | "mismatch" | "unknown_pepper";

export interface PepperRing {
  readonly newestId: string;
  readonly ids: readonly string[];
  /** Seals a client fingerprint under the newest pepper. */
  seal(fingerprintHex: string): StoredFingerprint;
  /** Compares a presented fingerprint with a stored one in constant time. */
  match(fingerprintHex: string, stored: StoredFingerprint): FingerprintMatch;
  /**
   * 32-byte keys derived with HKDF-SHA256 from each pepper (newest first) for one purpose (`info`), so a
   * signing key is never the pepper itself and one purpose's key says nothing of another's.
   */
  deriveKeys(info: string): readonly Uint8Array[];
}

export const MIN_PEPPER_LENGTH = 32;

function pepperId(pepper: string): string {
  return createHash("sha256")
    .update("byok-gateway pepper id\0")
    .update(pepper, "utf8")
    .digest("hex")
    .slice(0, 16);
}

export function createPepperRing(peppers: readonly SecretKey[]): PepperRing {
  if (peppers.length === 0) throw new Error("createPepperRing: at least one pepper is required");
  const entries = peppers.map((pepper) => {
    if (pepper.length < MIN_PEPPER_LENGTH) {
      throw new Error(`createPepperRing: a pepper must be at least ${MIN_PEPPER_LENGTH} characters`);
    }
    // A KeyObject: HMAC with one is several times faster than with a Buffer key (bench/validation.bench.ts).
    return {
      id: pepperId(pepper.reveal()),
      secret: createSecretKey(Buffer.from(pepper.reveal(), "utf8")),
      raw: pepper,
    };
  });
  const byId = new Map(entries.map((entry) => [entry.id, entry.secret] as const));
  const newest = entries[0]!;

  const digestWith = (secret: KeyObject, fingerprintHex: string): Buffer =>
    createHmac("sha256", secret).update(fingerprintHex, "utf8").digest();

  /**
   * Per stored fingerprint object (the enrollment cache keeps one per enrolled key until the enrollment
   * changes), the UTF-8 bytes of the presented fingerprint that last matched it under the newest pepper,
   * with the digest it matched: a repeat is one constant-time compare instead of an HMAC. Held by
   * identity (never keyed by a fingerprint), in memory only, and gone with the stored object.
   */
  const lastMatch = new WeakMap<
    StoredFingerprint,
    { readonly digest: string; readonly presented: Uint8Array }
  >();

  return Object.freeze({
    newestId: newest.id,
    ids: Object.freeze(entries.map((entry) => entry.id)),
    seal(fingerprintHex: string): StoredFingerprint {
      return { digest: digestWith(newest.secret, fingerprintHex).toString("hex"), pepperId: newest.id };
    },
    match(fingerprintHex: string, stored: StoredFingerprint): FingerprintMatch {
      const secret = byId.get(stored.pepperId);
      if (secret === undefined) return "unknown_pepper";
      const presented = Buffer.from(fingerprintHex, "utf8");
      const remembered = lastMatch.get(stored);
      if (
        remembered !== undefined &&
        remembered.digest === stored.digest &&
        remembered.presented.length === presented.length &&
        timingSafeEqual(remembered.presented, presented)
      ) {
        return "match"; // only matches under the newest pepper are remembered
      }
      const expected = Buffer.from(stored.digest, "hex");
      const actual = digestWith(secret, fingerprintHex);
      if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return "mismatch";
      if (stored.pepperId !== newest.id) return "match_older_pepper";
      // A copy with its own memory: a small Buffer is a slice of a shared pool (64 KiB) it would keep alive.
      lastMatch.set(stored, { digest: stored.digest, presented: new Uint8Array(presented) });
      return "match";
    },
    deriveKeys(info: string): readonly Uint8Array[] {
      return entries.map(
        (entry) => new Uint8Array(hkdfSync("sha256", entry.raw.reveal(), "byok-gateway", info, 32)),
      );
    },
  });
}

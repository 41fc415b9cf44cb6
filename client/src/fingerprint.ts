/**
 * @module client/fingerprint
 * The enrollment fingerprint: lowercase hex SHA-256 of the trimmed key's UTF-8 bytes, as the server's.
 */
import { encodeUtf8 } from "./encode-utf8.ts";
import { sha256 } from "./sha256.ts";

/** The part of WebCrypto a fingerprint needs; absent in runtimes such as React Native. */
export interface DigestCrypto {
  digest(algorithm: "SHA-256", data: Uint8Array<ArrayBuffer>): Promise<ArrayBuffer>;
}

/**
 * The fingerprint of `key`: WebCrypto where `crypto.subtle` exists, else the pure-JS SHA-256.
 * Throws a TypeError for a key that is empty after trimming (there is nothing to enroll).
 */
export function fingerprint(key: string): Promise<string> {
  return fingerprintWith(key, globalThis.crypto?.subtle);
}

/** `fingerprint` with the WebCrypto implementation given (`undefined`: the pure-JS path). */
export async function fingerprintWith(key: string, subtle: DigestCrypto | undefined): Promise<string> {
  if (typeof key !== "string") throw new TypeError("A key must be a string");
  const trimmed = key.trim();
  if (trimmed === "") throw new TypeError("The key is empty after trimming: there is nothing to fingerprint");
  const bytes = encodeUtf8(trimmed);
  const digest = subtle ? new Uint8Array(await subtle.digest("SHA-256", bytes)) : sha256(bytes);
  let hex = "";
  for (const byte of digest) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/**
 * @module keys/seal-with-secret
 * Seals a value that holds raw keys under a key derived from a bearer secret (HKDF-SHA256 → AES-256-GCM),
 * so whoever stores the sealed text (memory, a cluster primary, Redis) never holds a key in clear.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { SecretKey } from "./secret-key.ts";

/** What is sealed: any JSON, plus named raw keys (revealed only inside the sealed bytes). */
export interface SealedPayload {
  readonly data: unknown;
  readonly keys: Readonly<Record<string, SecretKey>>;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

function deriveKey(secret: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, Buffer.alloc(0), info, 32));
}

/**
 * `secret`: the bearer's random bytes (never stored); `info`: what the key is for; `aad`: bound to the
 * sealed text (the id it is stored under), so it cannot be moved under another id.
 */
export function sealWithSecret(secret: Buffer, info: string, aad: string, payload: SealedPayload): string {
  const keys: Record<string, string> = {};
  for (const [name, key] of Object.entries(payload.keys)) keys[name] = key.reveal();
  const plain = Buffer.from(JSON.stringify({ data: payload.data, keys }), "utf8");
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", deriveKey(secret, info), iv);
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const sealed = Buffer.concat([iv, Buffer.alloc(TAG_BYTES), cipher.update(plain), cipher.final()]);
  cipher.getAuthTag().copy(sealed, IV_BYTES);
  plain.fill(0);
  return sealed.toString("base64url");
}

/** The payload, keys wrapped again; null when the text was not sealed under this secret and id. */
export function openWithSecret(
  secret: Buffer,
  info: string,
  aad: string,
  sealed: string,
): SealedPayload | null {
  const bytes = Buffer.from(sealed, "base64url");
  if (bytes.length < IV_BYTES + TAG_BYTES) return null;
  let plain: Buffer;
  try {
    const decipher = createDecipheriv("aes-256-gcm", deriveKey(secret, info), bytes.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(aad, "utf8"));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    plain = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    return null;
  }
  const parsed = JSON.parse(plain.toString("utf8")) as { data: unknown; keys: Record<string, string> };
  plain.fill(0);
  const keys: Record<string, SecretKey> = {};
  for (const [name, value] of Object.entries(parsed.keys)) keys[name] = new SecretKey(value);
  return { data: parsed.data, keys };
}

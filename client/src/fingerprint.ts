/**
 * @module client/fingerprint
 * Lowercase hex SHA-256 of the trimmed key's UTF-8 bytes (SPEC §3), with WebCrypto.
 */
export async function fingerprint(key: string): Promise<string> {
  const trimmed = key.trim();
  if (trimmed === "") throw new TypeError("A key is empty after trimming.");
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(trimmed));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * @module wire/openai/encode-embeddings-base64
 * Turns float embeddings into OpenAI's base64 form (little-endian float32), in place, for upstreams
 * that only answer floats while the client (the official SDK by default) asked for base64.
 */

export function encodeEmbeddingsBase64(body: unknown): boolean {
  if (typeof body !== "object" || body === null) return false;
  const data = (body as { data?: unknown }).data;
  if (!Array.isArray(data)) return false;
  for (const item of data) {
    const embedding = (item as { embedding?: unknown } | null)?.embedding;
    if (!Array.isArray(embedding)) continue;
    const floats = Float32Array.from(embedding as number[]);
    const bytes = Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength);
    // Float32Array is platform-endian; OpenAI's encoding is little-endian.
    if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) bytes.swap32();
    (item as { embedding: unknown }).embedding = bytes.toString("base64");
  }
  return true;
}

/**
 * @module library/read-json-body
 * A mounted endpoint's JSON body from a byte stream, as the gateway reads it: bounded while it is read
 * (`payload_too_large`), `application/json` (or `text/plain`, read as a string) only (`unsupported_media_type`),
 * its nesting checked before parsing (`json_too_deep`), `invalid_json` otherwise; no body and no content
 * type is `undefined`.
 */
import { GatewayError } from "../errors/gateway-error.ts";
import { checkJsonDepth } from "../wire/check-json-depth.ts";

export interface ReadJsonBodyOptions {
  readonly contentType: string | null | undefined;
  /** The declared length, when there is one: refused before reading when it is over the limit. */
  readonly contentLength?: string | null | undefined;
  readonly maxBytes: number;
  readonly maxDepth: number;
}

/** Byte chunks: a Node request, a fetch body stream, or chunks in hand. */
export type BodyChunks = AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;

async function readBoundedText(chunks: BodyChunks, maxBytes: number): Promise<string> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of chunks) {
    const bytes = typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk;
    total += bytes.byteLength;
    if (total > maxBytes) throw new GatewayError("payload_too_large");
    parts.push(bytes);
  }
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.byteLength;
  }
  try {
    return decoder.decode(joined);
  } catch {
    throw new GatewayError("invalid_json");
  }
}

/** `application/json`, with or without parameters (`; charset=utf-8`), any case. */
const isJson = (contentType: string) => /^application\/json\s*(;|$)/i.test(contentType.trim());
const isPlainText = (contentType: string) => /^text\/plain\s*(;|$)/i.test(contentType.trim());

export async function readJsonBody(
  chunks: BodyChunks | null,
  options: ReadJsonBodyOptions,
): Promise<unknown> {
  const declared = Number(options.contentLength ?? Number.NaN);
  if (Number.isFinite(declared) && declared > options.maxBytes) throw new GatewayError("payload_too_large");
  const text = chunks === null ? "" : await readBoundedText(chunks, options.maxBytes);
  const contentType = options.contentType ?? "";
  if (text === "" && contentType === "") return undefined;
  // As the gateway (Fastify's default parsers): plain text is read as a string, which no endpoint accepts.
  if (isPlainText(contentType)) return text;
  if (!isJson(contentType)) throw new GatewayError("unsupported_media_type");
  if (text.trim() === "") {
    throw new GatewayError("invalid_json", {
      message: "The request body is empty; a JSON body is required.",
    });
  }
  if (!checkJsonDepth(text, options.maxDepth)) {
    throw new GatewayError("invalid_request", {
      message: `The JSON body nests deeper than ${options.maxDepth} levels (server.maxJsonDepth).`,
      code: "json_too_deep",
    });
  }
  let poisoned = false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, (key, value: unknown) => {
      if (key === "__proto__" || (key === "constructor" && typeof value === "object" && value !== null))
        poisoned = true;
      return value;
    });
  } catch {
    throw new GatewayError("invalid_json");
  }
  // As the gateway's parser: prototype poisoning is refused, never parsed into the body.
  if (poisoned) throw new GatewayError("invalid_json");
  return parsed;
}

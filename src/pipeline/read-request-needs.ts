/**
 * @module pipeline/read-request-needs
 * The capabilities a chat request itself uses (streaming, tools, JSON schema, images), read leniently.
 */
import type { Capability } from "../config/feature-schema.ts";

function hasImagePart(messages: unknown): boolean {
  if (!Array.isArray(messages)) return false;
  return messages.some(
    (message) =>
      Array.isArray((message as { content?: unknown } | null)?.content) &&
      ((message as { content: unknown[] }).content as unknown[]).some(
        (part) => (part as { type?: unknown } | null)?.type === "image_url",
      ),
  );
}

export function readRequestNeeds(body: Readonly<Record<string, unknown>>): Capability[] {
  const needs: Capability[] = [];
  if (body.stream === true) needs.push("streaming");
  if (Array.isArray(body.tools) && body.tools.length > 0) needs.push("tools");
  if ((body.response_format as { type?: unknown } | null | undefined)?.type === "json_schema")
    needs.push("json_schema");
  if (hasImagePart(body.messages)) needs.push("vision");
  return needs;
}

/**
 * @module pipeline/read-messages-needs
 * The capabilities an Anthropic Messages request itself uses (streaming, tools, images), read leniently.
 */
import type { Capability } from "../config/feature-schema.ts";

export function readMessagesNeeds(body: Readonly<Record<string, unknown>>): Capability[] {
  const needs: Capability[] = [];
  if (body.stream === true) needs.push("streaming");
  if (Array.isArray(body.tools) && body.tools.length > 0) needs.push("tools");
  const hasImage =
    Array.isArray(body.messages) &&
    body.messages.some(
      (message) =>
        Array.isArray((message as { content?: unknown } | null)?.content) &&
        ((message as { content: unknown[] }).content as unknown[]).some(
          (block) => (block as { type?: unknown } | null)?.type === "image",
        ),
    );
  if (hasImage) needs.push("vision");
  return needs;
}

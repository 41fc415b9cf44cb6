/**
 * @module pipeline/read-responses-needs
 * The capabilities a Responses request itself uses (streaming, tools, JSON schema, images), read leniently.
 */
import type { Capability } from "../config/feature-schema.ts";

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function hasImagePart(input: unknown): boolean {
  if (!Array.isArray(input)) return false;
  return input.some(
    (item) =>
      isObject(item) &&
      Array.isArray(item.content) &&
      item.content.some((part: unknown) => isObject(part) && part.type === "input_image"),
  );
}

export function readResponsesNeeds(body: Readonly<Record<string, unknown>>): Capability[] {
  const needs: Capability[] = [];
  if (body.stream === true) needs.push("streaming");
  if (Array.isArray(body.tools) && body.tools.length > 0) needs.push("tools");
  const format = isObject(body.text) ? body.text.format : undefined;
  if (isObject(format) && format.type === "json_schema") needs.push("json_schema");
  if (hasImagePart(body.input)) needs.push("vision");
  return needs;
}

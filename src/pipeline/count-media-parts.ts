/**
 * @module pipeline/count-media-parts
 * The non-text content parts of a chat request (OpenAI `image_url`, `input_audio`, `file`; Anthropic `image`,
 * `document`, also inside a `tool_result`; Responses `input_image`, `input_file`): each costs tokens its JSON size does not show, so the input
 * reservation adds a floor per part (`metering.mediaPartInputTokens`).
 */

/** Part types, in either dialect, whose cost is not their JSON size (a short URL or file id can be an image or a PDF). */
const MEDIA_TYPES: ReadonlySet<string> = new Set([
  "image_url",
  "input_audio",
  "file",
  "image",
  "document",
  // The Responses API's input parts (its `input` items read as messages).
  "input_image",
  "input_file",
]);

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function countParts(content: unknown, nested: boolean): number {
  if (!Array.isArray(content)) return 0;
  let count = 0;
  for (const part of content) {
    if (!isRecord(part) || typeof part.type !== "string") continue;
    if (MEDIA_TYPES.has(part.type)) count += 1;
    // An Anthropic tool result may carry images and documents of its own (one level: they hold no results).
    else if (part.type === "tool_result" && !nested) count += countParts(part.content, true);
  }
  return count;
}

/** Counts the media parts of every message's content in an OpenAI chat or Anthropic Messages body. */
export function countMediaParts(body: Readonly<Record<string, unknown>>): number {
  const { messages } = body;
  if (!Array.isArray(messages)) return 0;
  let count = 0;
  for (const message of messages) if (isRecord(message)) count += countParts(message.content, false);
  return count;
}

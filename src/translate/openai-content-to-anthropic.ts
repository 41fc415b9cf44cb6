/**
 * @module translate/openai-content-to-anthropic
 * OpenAI message content (a string or content parts) → Anthropic content blocks: text, images (a `data:` URL
 * becomes a base64 source, an http(s) URL a url source), PDF files (a document block). Empty text is dropped
 * (Anthropic refuses empty text blocks).
 */
import type {
  AnthropicDocumentBlock,
  AnthropicImageBlock,
  AnthropicTextBlock,
} from "../wire/anthropic/anthropic-types.ts";
import { isAbsent, isJsonObject, readString } from "./json-object.ts";
import { fail } from "./translation-result.ts";

export type AnthropicUserBlock = AnthropicTextBlock | AnthropicImageBlock | AnthropicDocumentBlock;

/** The media types Anthropic accepts for images. */
const IMAGE_MEDIA_TYPES = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"]);
const DATA_URL = /^data:([^;,]+)((?:;[^;,]*)*),(.*)$/s;

interface DataUrl {
  readonly mediaType: string;
  readonly data: string;
}

/** A `data:<type>;base64,<data>` URL; null when `url` is no data URL at all. */
function parseDataUrl(url: string, param: string): DataUrl | null {
  if (!url.startsWith("data:")) return null;
  const match = DATA_URL.exec(url);
  if (match === null) fail("invalid_value", "The data URL is malformed.", param);
  const parameters = (match[2] ?? "").split(";");
  if (!parameters.includes("base64")) {
    fail("unsupported_parameter", "Only base64 data URLs can be sent to Anthropic.", param);
  }
  return { mediaType: (match[1] ?? "").toLowerCase(), data: match[3] ?? "" };
}

function textBlock(text: string): AnthropicTextBlock[] {
  return text.length === 0 ? [] : [{ type: "text", text }];
}

function imageBlock(part: Record<string, unknown>, param: string): AnthropicImageBlock {
  const image = part.image_url;
  const url = isJsonObject(image) ? readString(image.url) : readString(image);
  if (url === null)
    fail("invalid_value", "An image_url part needs `image_url.url`.", `${param}.image_url.url`);
  const dataUrl = parseDataUrl(url, `${param}.image_url.url`);
  if (dataUrl !== null) {
    if (!IMAGE_MEDIA_TYPES.has(dataUrl.mediaType)) {
      fail(
        "unsupported_parameter",
        `Anthropic accepts image/jpeg, image/png, image/gif and image/webp images, not ${dataUrl.mediaType}.`,
        `${param}.image_url.url`,
      );
    }
    return { type: "image", source: { type: "base64", media_type: dataUrl.mediaType, data: dataUrl.data } };
  }
  if (!/^https?:\/\//i.test(url)) {
    fail("invalid_value", "An image URL must be an http(s) or a base64 data URL.", `${param}.image_url.url`);
  }
  return { type: "image", source: { type: "url", url } };
}

function fileBlock(part: Record<string, unknown>, param: string): AnthropicDocumentBlock {
  const file = isJsonObject(part.file) ? part.file : {};
  const fileData = readString(file.file_data);
  if (fileData === null) {
    fail(
      "unsupported_parameter",
      "Only inline files (`file.file_data`, a base64 PDF data URL) can be sent to Anthropic; `file_id` cannot.",
      `${param}.file`,
    );
  }
  const dataUrl = parseDataUrl(fileData, `${param}.file.file_data`);
  if (dataUrl === null || dataUrl.mediaType !== "application/pdf") {
    fail("unsupported_parameter", "Anthropic accepts inline files only as PDF data URLs.", `${param}.file`);
  }
  const title = readString(file.filename);
  return {
    type: "document",
    source: { type: "base64", media_type: "application/pdf", data: dataUrl.data },
    ...(title === null ? {} : { title }),
  };
}

/** The text of a text part, or a clear error naming the part. */
function partText(part: unknown, param: string, allowed: readonly string[]): string {
  if (!isJsonObject(part)) fail("invalid_value", "A content part must be an object.", param);
  if (!allowed.includes(String(part.type))) {
    fail("unsupported_parameter", `Content parts of type ${String(part.type)} are not allowed here.`, param);
  }
  const text = readString(part.type === "refusal" ? part.refusal : part.text);
  if (text === null) fail("invalid_value", "A text part needs a string `text`.", param);
  return text;
}

/** A user message's content: text, images, PDF files. */
export function userContentToAnthropic(content: unknown, param: string): AnthropicUserBlock[] {
  if (typeof content === "string") return textBlock(content);
  if (!Array.isArray(content)) fail("invalid_value", "Message content must be a string or a list.", param);
  const blocks: AnthropicUserBlock[] = [];
  content.forEach((part: unknown, index) => {
    const partParam = `${param}[${index}]`;
    if (!isJsonObject(part)) fail("invalid_value", "A content part must be an object.", partParam);
    switch (part.type) {
      case "text":
        blocks.push(...textBlock(partText(part, partParam, ["text"])));
        break;
      case "image_url":
        blocks.push(imageBlock(part, partParam));
        break;
      case "file":
        blocks.push(fileBlock(part, partParam));
        break;
      case "input_audio":
        fail("unsupported_parameter", "Anthropic does not accept audio input.", partParam);
        break;
      default:
        fail("invalid_value", `Unknown content part type ${String(part.type)}.`, partParam);
    }
  });
  return blocks;
}

/** Text-only content (system, developer, assistant and tool messages); refusal parts count as text. */
export function textContentToAnthropic(content: unknown, param: string): AnthropicTextBlock[] {
  if (isAbsent(content)) return [];
  if (typeof content === "string") return textBlock(content);
  if (!Array.isArray(content)) fail("invalid_value", "Message content must be a string or a list.", param);
  return content.flatMap((part: unknown, index) =>
    textBlock(partText(part, `${param}[${index}]`, ["text", "refusal"])),
  );
}

/**
 * @module test/metering/count-media-parts
 * The media parts an input reservation adds a floor for, in both dialects: OpenAI image, audio and file
 * parts, Anthropic image and document blocks (inside a tool result too); text and tool calls are not media.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { countMediaParts } from "../../src/pipeline/count-media-parts.ts";

test("OpenAI chat: image_url, input_audio and file parts count; text parts and string contents do not", () => {
  const body = {
    messages: [
      { role: "system", content: "be brief" },
      {
        role: "user",
        content: [
          { type: "text", text: "what is this?" },
          { type: "image_url", image_url: { url: "https://example.com/a.png", detail: "high" } },
          { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
          { type: "input_audio", input_audio: { data: "AAAA", format: "wav" } },
          { type: "file", file: { file_id: "file-abc" } },
        ],
      },
      { role: "assistant", content: null, tool_calls: [{ id: "1", type: "function" }] },
    ],
  };
  assert.equal(countMediaParts(body), 4);
});

test("Anthropic messages: image and document blocks count, also inside a tool_result", () => {
  const body = {
    messages: [
      {
        role: "user",
        content: [
          { type: "image", source: { type: "url", url: "https://example.com/a.png" } },
          { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBE" } },
          {
            type: "tool_result",
            tool_use_id: "t1",
            content: [
              { type: "text", text: "a chart" },
              { type: "image", source: { type: "base64", media_type: "image/png", data: "AAAA" } },
            ],
          },
          { type: "tool_result", tool_use_id: "t2", content: "plain text" },
        ],
      },
      { role: "assistant", content: [{ type: "tool_use", id: "t3", name: "f", input: { type: "image" } }] },
    ],
  };
  assert.equal(countMediaParts(body), 3);
});

test("a body without messages, or with malformed ones, counts nothing (and never throws)", () => {
  for (const body of [
    {},
    { messages: "x" },
    { messages: [null, 1, "m", { content: [null, 1, { type: 7 }, { kind: "image" }] }] },
  ]) {
    assert.equal(countMediaParts(body as Record<string, unknown>), 0);
  }
});

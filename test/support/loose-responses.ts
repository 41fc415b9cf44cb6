/**
 * @module test/support/loose-responses
 * What a lenient OpenAI-compatible host sends on `/responses` (vLLM, LiteLLM, llama.cpp servers): the fake
 * provider's Response with the members OpenAI always sends left out (a function tool's `strict`, `object`,
 * `status`, `error`, `tool_choice`, …), whole or in each lifecycle event of its stream.
 */
import { fakeResponses } from "../peers/fake-responses-api.ts";

type Json = Record<string, unknown>;

/** Members a lenient host leaves out of its Response (none of them breaks what a client reads). */
export const LOOSE_OMISSIONS = [
  "object",
  "status",
  "error",
  "incomplete_details",
  "instructions",
  "parallel_tool_calls",
  "metadata",
  "tool_choice",
  "temperature",
  "top_p",
  "completed_at",
  "reasoning",
  "text",
  "truncation",
] as const;

/** A function tool as a lenient host echoes it: no `strict`. */
export const LOOSE_TOOL = {
  type: "function",
  name: "get_weather",
  description: "The weather in a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

/** The Response with `omitted` members removed, its tools without `strict`, its usage without details. */
export function loosen(response: Json, omitted: readonly string[] = LOOSE_OMISSIONS): Json {
  const loose: Json = { ...response };
  for (const field of omitted) delete loose[field];
  if (Array.isArray(loose.tools))
    loose.tools = loose.tools.map((tool: Json) => {
      const { strict: _strict, ...rest } = tool;
      return rest;
    });
  if (typeof loose.usage === "object" && loose.usage !== null) {
    const { input_tokens_details: _in, output_tokens_details: _out, ...usage } = loose.usage as Json;
    loose.usage = usage;
  }
  return loose;
}

/** The fake's answer to `body`, loosened: the whole Response, and its stream's events. */
export function looseResponses(body: Json, id = 1): { response: Json; events: Json[] } {
  const { response, events } = fakeResponses(body, id, "sk-unused");
  return {
    response: loosen(response),
    events: events.map((event) =>
      typeof event.response === "object" && event.response !== null
        ? { ...event, response: loosen(event.response as Json) }
        : event,
    ),
  };
}

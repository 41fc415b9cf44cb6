/**
 * @module translate/openai-tools-to-anthropic
 * OpenAI `tools`, `tool_choice`, `parallel_tool_calls` and `response_format` → Anthropic `tools` and
 * `tool_choice`. A JSON `response_format` becomes one forced tool whose input is the answer (the response
 * translators turn that tool call back into text); it cannot be combined with the caller's own tools.
 */
import type { AnthropicTool, AnthropicToolChoice } from "../wire/anthropic/anthropic-types.ts";
import { isAbsent, isJsonObject, type JsonObject, readString } from "./json-object.ts";
import { fail } from "./translation-result.ts";

/** The forced tool that carries a `response_format` answer. */
export const JSON_RESPONSE_TOOL = "json_response";

export interface AnthropicToolSetup {
  readonly tools: AnthropicTool[];
  readonly toolChoice: AnthropicToolChoice | null;
  /** Set when `response_format` became the forced tool. */
  readonly jsonToolName: string | null;
}

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** A JSON schema usable as Anthropic's `input_schema`: an object schema (`type` filled in when missing). */
function objectSchema(schema: unknown, param: string, what: string): Record<string, unknown> {
  if (isAbsent(schema)) return { type: "object", properties: {} };
  if (!isJsonObject(schema)) fail("invalid_value", `${what} must be a JSON schema object.`, param);
  if (schema.type === undefined) return { type: "object", ...schema };
  if (schema.type !== "object") {
    fail("unsupported_parameter", `Anthropic needs ${what} to describe an object (type "object").`, param);
  }
  return schema;
}

function convertTool(tool: unknown, index: number): AnthropicTool {
  const param = `tools[${index}]`;
  if (!isJsonObject(tool)) fail("invalid_value", "A tool must be an object.", param);
  if (tool.type !== undefined && tool.type !== "function") {
    fail(
      "unsupported_parameter",
      `Tools of type ${String(tool.type)} are not supported on Anthropic.`,
      param,
    );
  }
  if (!isJsonObject(tool.function)) fail("invalid_value", "A tool needs a `function` object.", param);
  const name = readString(tool.function.name);
  if (name === null || !TOOL_NAME.test(name)) {
    fail("invalid_value", "A tool name must be 1-64 letters, digits, _ or -.", `${param}.function.name`);
  }
  const description = readString(tool.function.description);
  const input_schema = objectSchema(
    tool.function.parameters,
    `${param}.function.parameters`,
    "a tool's parameters",
  );
  // `strict` has no Anthropic counterpart: the schema is still sent and followed, without the guarantee.
  return { name, ...(description === null ? {} : { description }), input_schema };
}

function chosenName(choice: JsonObject): string | null {
  const fn = isJsonObject(choice.function) ? choice.function : {};
  return readString(fn.name);
}

interface ChoiceIntent {
  readonly choice: AnthropicToolChoice | null;
  /** `allowed_tools`: only these tools are offered. */
  readonly allowed: ReadonlySet<string> | null;
}

function readToolChoice(value: unknown): ChoiceIntent {
  if (isAbsent(value) || value === "auto")
    return { choice: isAbsent(value) ? null : { type: "auto" }, allowed: null };
  if (value === "none") return { choice: { type: "none" }, allowed: null };
  if (value === "required") return { choice: { type: "any" }, allowed: null };
  if (isJsonObject(value) && value.type === "function") {
    const name = chosenName(value);
    if (name === null)
      fail("invalid_value", "tool_choice needs `function.name`.", "tool_choice.function.name");
    return { choice: { type: "tool", name }, allowed: null };
  }
  if (isJsonObject(value) && value.type === "allowed_tools" && isJsonObject(value.allowed_tools)) {
    const { mode, tools } = value.allowed_tools;
    if (mode !== "auto" && mode !== "required") {
      fail("invalid_value", "allowed_tools.mode must be auto or required.", "tool_choice.allowed_tools.mode");
    }
    if (!Array.isArray(tools)) fail("invalid_value", "allowed_tools.tools must be a list.", "tool_choice");
    const names = tools.map((tool: unknown) => (isJsonObject(tool) ? chosenName(tool) : null));
    if (names.some((name) => name === null)) {
      fail("unsupported_parameter", "Only function tools can be allowed on Anthropic.", "tool_choice");
    }
    return { choice: { type: mode === "auto" ? "auto" : "any" }, allowed: new Set(names as string[]) };
  }
  if (isJsonObject(value) && value.type === "custom") {
    fail("unsupported_parameter", "Custom tools are not supported on Anthropic.", "tool_choice");
  }
  return fail("invalid_value", "tool_choice is not one of auto, none, required or a tool.", "tool_choice");
}

/** The forced tool for `response_format`, or null for plain text. */
function jsonResponseTool(format: unknown): AnthropicTool | null {
  if (isAbsent(format)) return null;
  if (!isJsonObject(format)) fail("invalid_value", "response_format must be an object.", "response_format");
  if (format.type === "text") return null;
  if (format.type === "json_object") {
    return {
      name: JSON_RESPONSE_TOOL,
      description: "Answer with a JSON object.",
      input_schema: { type: "object", additionalProperties: true },
    };
  }
  if (format.type === "json_schema" && isJsonObject(format.json_schema)) {
    const description = readString(format.json_schema.description);
    return {
      name: JSON_RESPONSE_TOOL,
      description: description ?? "Answer with JSON that matches this schema.",
      input_schema: objectSchema(
        format.json_schema.schema,
        "response_format.json_schema.schema",
        "the schema",
      ),
    };
  }
  return fail(
    "invalid_value",
    "response_format must be text, json_object or json_schema.",
    "response_format",
  );
}

export function openAiToolsToAnthropic(body: JsonObject): AnthropicToolSetup {
  if (!isAbsent(body.tools) && !Array.isArray(body.tools))
    fail("invalid_value", "tools must be a list.", "tools");
  let tools = Array.isArray(body.tools) ? body.tools.map(convertTool) : [];
  const names = new Set(tools.map((tool) => tool.name));
  if (names.size !== tools.length) fail("invalid_value", "Tool names must be unique.", "tools");
  const { choice, allowed } = readToolChoice(body.tool_choice);
  const noParallel = body.parallel_tool_calls === false;

  const jsonTool = jsonResponseTool(body.response_format);
  if (jsonTool !== null) {
    if (tools.length > 0) {
      fail(
        "unsupported_parameter",
        "On Anthropic routes a JSON response_format is a forced tool, so it cannot be combined with tools.",
        "response_format",
      );
    }
    return {
      tools: [jsonTool],
      toolChoice: { type: "tool", name: JSON_RESPONSE_TOOL, disable_parallel_tool_use: true },
      jsonToolName: JSON_RESPONSE_TOOL,
    };
  }

  if (choice !== null && choice.type === "tool" && !names.has(choice.name)) {
    fail(
      "invalid_value",
      `tool_choice names ${JSON.stringify(choice.name)}, which is not in tools.`,
      "tool_choice",
    );
  }
  if (allowed !== null) {
    for (const name of allowed) {
      if (!names.has(name))
        fail(
          "invalid_value",
          `allowed_tools names ${JSON.stringify(name)}, which is not in tools.`,
          "tool_choice",
        );
    }
    tools = tools.filter((tool) => allowed.has(tool.name));
  }
  if (tools.length === 0) {
    if (choice !== null && choice.type !== "auto" && choice.type !== "none") {
      fail("invalid_value", "tool_choice asks for a tool call but no tools are given.", "tool_choice");
    }
    return { tools: [], toolChoice: null, jsonToolName: null };
  }
  if (choice?.type === "none") return { tools, toolChoice: choice, jsonToolName: null };
  const base = choice ?? (noParallel ? { type: "auto" as const } : null);
  const toolChoice = base !== null && noParallel ? { ...base, disable_parallel_tool_use: true } : base;
  return { tools, toolChoice, jsonToolName: null };
}

/**
 * @module test/translate/stream-fixtures
 * Recorded shapes of upstream streams in both dialects (test/fixtures/anthropic, test/fixtures/openai) and what
 * their translation must carry: text, reasoning, tool calls, the stop, usage, or the error that ends them.
 */
import { readFileSync } from "node:fs";

export type Dialect = "anthropic" | "openai";

export interface ExpectedToolCall {
  /** The upstream's call id, kept across the translation. */
  readonly id: string;
  readonly name: string;
  /** The parsed arguments (an empty-arguments call expects `{}`). */
  readonly arguments: unknown;
}

/** Token counts in neutral terms: `input` counts every prompt token, cache reads and writes included. */
export interface ExpectedUsage {
  readonly input: number;
  readonly output: number;
  readonly cacheRead: number;
  readonly cacheWrite: number;
}

export interface ExpectedStream {
  readonly text: string;
  /** Thinking text carried as `reasoning_content` (OpenAI output only). */
  readonly reasoning?: string;
  readonly toolCalls: readonly ExpectedToolCall[];
  /** The output dialect's stop: OpenAI `finish_reason` for Anthropic fixtures, Anthropic `stop_reason` for OpenAI ones. */
  readonly stop: string | null;
  readonly usage: ExpectedUsage;
  /** The stream ends with an error carrying this gateway error code (and no normal end). */
  readonly error: { readonly code: string } | null;
}

export interface StreamFixture {
  readonly name: string;
  /** The dialect of the recorded upstream stream; the translation speaks the other one. */
  readonly source: Dialect;
  /** Path under test/fixtures/. */
  readonly file: string;
  readonly expect: ExpectedStream;
}

const usage = (input: number, output: number, cacheRead = 0, cacheWrite = 0): ExpectedUsage => ({
  input,
  output,
  cacheRead,
  cacheWrite,
});
const weatherParis = { id: "", name: "get_weather", arguments: { city: "Paris", unit: "celsius" } };

/** Both dialects record the same conversations; only ids and the usage details differ. */
function fixturesOf(source: Dialect): StreamFixture[] {
  const anthropic = source === "anthropic";
  const at = (name: string, expect: ExpectedStream): StreamFixture => ({
    name: `${source}/${name}`,
    source,
    file: `${source}/${name}.sse`,
    expect,
  });
  const stop = (openAi: string, anthropicStop: string) => (anthropic ? openAi : anthropicStop);
  return [
    at("text-cache-usage", {
      text: "Hello, wörld! 👋\nSecond line.",
      toolCalls: [],
      stop: stop("stop", "end_turn"),
      usage: anthropic ? usage(3084, 9, 2048, 1024) : usage(3084, 9, 2048, 0),
      error: null,
    }),
    at("text-then-tool", {
      text: "Let me check the weather.",
      toolCalls: [{ ...weatherParis, id: anthropic ? "toolu_01T1x1fJ34qAmk2tNTrN7Up6" : "call_Wx1" }],
      stop: stop("tool_calls", "tool_use"),
      usage: anthropic ? usage(350, 61) : usage(350, 61),
      error: null,
    }),
    at("parallel-tools", {
      text: anthropic ? "I will look them up." : "",
      ...(anthropic ? { reasoning: "Two cities, so three calls." } : {}),
      toolCalls: [
        { id: anthropic ? "toolu_01A" : "call_A", name: "get_weather", arguments: { city: "Paris" } },
        { id: anthropic ? "toolu_01B" : "call_B", name: "get_time", arguments: { city: "Tokyo" } },
        {
          id: anthropic ? "toolu_01C" : "call_C",
          name: "get_weather",
          arguments: { city: "Lima", days: [1, 2] },
        },
      ],
      stop: stop("tool_calls", "tool_use"),
      usage: usage(820, 142),
      error: null,
    }),
    at("empty-arguments-tool", {
      text: "",
      toolCalls: [
        { id: anthropic ? "toolu_01EmPty" : "chatcmpl-tool-5f1e", name: "list_files", arguments: {} },
      ],
      stop: stop("tool_calls", "tool_use"),
      // The OpenAI-compatible recording is from a host that reports no usage.
      usage: anthropic ? usage(95, 31) : usage(0, 0),
      error: null,
    }),
    at("error-midway", {
      text: "Partial ans",
      toolCalls: [],
      stop: null,
      usage: anthropic ? usage(40, 1) : usage(0, 0),
      error: { code: anthropic ? "overloaded_error" : "server_error" },
    }),
    at(anthropic ? "max-tokens" : "length", {
      text: "Once upon a time, in a land far",
      toolCalls: [],
      stop: stop("length", "max_tokens"),
      usage: usage(25, 10),
      error: null,
    }),
  ];
}

export const anthropicStreamFixtures: readonly StreamFixture[] = fixturesOf("anthropic");
export const openAiStreamFixtures: readonly StreamFixture[] = fixturesOf("openai");

/** The fixture's text with its line ends rewritten (the recordings use LF; JSON data holds no raw newline). */
export function readFixture(fixture: StreamFixture, newline: "\n" | "\r\n" | "\r" = "\n"): string {
  const text = readFileSync(new URL(`../fixtures/${fixture.file}`, import.meta.url), "utf8");
  return newline === "\n" ? text : text.replaceAll("\n", newline);
}

/** The fixture split into its events, each with its blank line, as an upstream sends them one by one. */
export function splitEvents(text: string, newline: "\n" | "\r\n" | "\r" = "\n"): string[] {
  const separator = newline + newline;
  const events = text.split(separator).filter((event) => event.length > 0);
  return events.map((event) => event + separator);
}

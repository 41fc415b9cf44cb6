/**
 * @module bench/request-contract
 * The request contract's cost per request (it runs on every model call) and name resolution's (a feature,
 * an alias, the ingress default). Baseline in the same run: `JSON.parse` of the same body, work every
 * request already pays.
 */
import { parseConfig } from "../src/config/index.ts";
import { buildRoutingTable } from "../src/pipeline/index.ts";
import { createProviderRegistry } from "../src/providers/index.ts";
import { resolveRoute } from "../src/routing/index.ts";
import { noByokContext } from "../src/validation/byok-context.ts";
import { checkMessagesRequest } from "../src/wire/anthropic/check-messages-request.ts";
import { checkChatRequest } from "../src/wire/openai/check-chat-request.ts";
import { measure, report } from "./measure.ts";

const OPERATIONS = 50_000;
const RUNS = 7;

/** A typical agent turn: system prompt, a few turns, a tool call and its result, two tools. */
const chat = {
  model: "agent",
  stream: true,
  temperature: 0.2,
  max_completion_tokens: 1024,
  tools: [
    { type: "function", function: { name: "get_weather", parameters: { type: "object" } } },
    { type: "function", function: { name: "search", parameters: { type: "object" } } },
  ],
  messages: [
    { role: "system", content: "You are a helpful assistant." },
    { role: "user", content: "What is the weather in Paris?" },
    {
      role: "assistant",
      content: null,
      tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: "{}" } }],
    },
    { role: "tool", tool_call_id: "call_1", content: "sunny" },
    { role: "user", content: [{ type: "text", text: "And tomorrow?" }] },
  ],
};
const messages = {
  model: "agent",
  max_tokens: 1024,
  system: "You are a helpful assistant.",
  messages: [
    { role: "user", content: "What is the weather in Paris?" },
    { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "get_weather", input: {} }] },
    { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "sunny" }] },
  ],
};
const text = JSON.stringify(chat);

const table = buildRoutingTable(
  parseConfig({
    providers: { openai: { apiKey: "sk-bench-operator" } },
    features: {
      agent: { aliases: ["gpt-4o-mini"], routes: [{ provider: "openai", model: "gpt-4.1-mini" }] },
    },
    routing: { defaultFeatures: { chat: "agent" } },
  }),
  createProviderRegistry(),
);
const byok = noByokContext("bench-user");
const route = (model: string) =>
  resolveRoute(table, { model, operation: "chat", needs: [], ingress: "chat" }, byok);

const baseline = await measure("baseline: JSON.parse of the chat body", OPERATIONS, RUNS, () =>
  JSON.parse(text),
);
const cases = [
  await measure("checkChatRequest (5 messages, 2 tools)", OPERATIONS, RUNS, () => checkChatRequest(chat)),
  await measure("checkMessagesRequest (3 messages)", OPERATIONS, RUNS, () => checkMessagesRequest(messages)),
  await measure("resolveRoute: a feature name", OPERATIONS, RUNS, () => route("agent")),
  await measure("resolveRoute: an alias", OPERATIONS, RUNS, () => route("gpt-4o-mini")),
  await measure("resolveRoute: the chat default", OPERATIONS, RUNS, () => route("gpt-5")),
];
report("request contract and names, per request", baseline, cases);

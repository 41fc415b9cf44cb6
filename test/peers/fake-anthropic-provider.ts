/** @module test/peers/fake-anthropic-provider
 * A loopback node:http fake of Anthropic's Messages API (2023-06-01): messages, SSE streams, tools, prompt-cache usage, count_tokens, errors.
 */
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { FakeHandler, RecordedRequest } from "./fake-openai-provider.ts";

export type { FakeHandler, RecordedRequest };

/** The only `anthropic-version` the fake speaks (what the gateway writes upstream). */
export const ANTHROPIC_VERSION = "2023-06-01";

export interface FakeAnthropicOptions {
  /**
   * Default true: a request without `anthropic-version: 2023-06-01` is answered 400 (missing or another
   * version). False: the header is not looked at.
   */
  readonly requireVersionHeader?: boolean;
}

/** An Anthropic error: `type` such as "rate_limit_error", "overloaded_error", "invalid_request_error". */
export interface FakeAnthropicError {
  readonly type: string;
  readonly message: string;
}

export interface FakeAnthropicProvider {
  /** http://127.0.0.1:PORT: the Anthropic SDK's baseURL; the API paths are /v1/messages and /v1/messages/count_tokens. */
  readonly origin: string;
  readonly requests: RecordedRequest[];
  /** Replace the default behaviour for the next request only (queued: each call covers one more request). */
  respondNext(handler: FakeHandler): void;
  /** Next request answers `{"type":"error","error":{type,message}}` with this status; "{{key}}" in the message becomes the x-api-key received. */
  failNext(status: number, error: FakeAnthropicError): void;
  /** Resolves with the next (not yet claimed) response closed by the peer before the fake ended it; `eventsWritten` counts `res.write` calls. */
  nextAbortedResponse(): Promise<{ request: RecordedRequest; eventsWritten: number }>;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;
type Aborted = { request: RecordedRequest; eventsWritten: number };
type Block = Json & { type: string };

/** Top-level fields of OpenAI's chat API that Anthropic rejects as extra inputs (a translator's usual leak). */
const OPENAI_ONLY_FIELDS = [
  "stream_options",
  "n",
  "frequency_penalty",
  "presence_penalty",
  "logprobs",
  "top_logprobs",
  "logit_bias",
  "response_format",
  "seed",
  "user",
  "stop",
  "parallel_tool_calls",
  "max_completion_tokens",
  "functions",
  "function_call",
] as const;
const TOOL_CHOICE_TYPES = new Set(["auto", "any", "tool", "none"]);
/** Size of each `input_json_delta.partial_json` fragment. */
const JSON_FRAGMENT = 4;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isBlock(value: unknown): value is Block {
  return isRecord(value) && typeof value.type === "string";
}

function blocksOf(content: unknown): Block[] {
  return Array.isArray(content) ? content.filter(isBlock) : [];
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  return blocksOf(content)
    .map((block) => (block.type === "text" && typeof block.text === "string" ? block.text : ""))
    .filter(Boolean)
    .join(" ");
}

function hasCacheControl(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasCacheControl);
  if (!isRecord(value)) return false;
  return "cache_control" in value || Object.values(value).some(hasCacheControl);
}

/** Deterministic prompt size: about one token per 4 bytes of the JSON of system, messages and tools. */
function promptTokens(body: Json): number {
  const prompt = JSON.stringify([body.system ?? null, body.messages ?? null, body.tools ?? null]);
  return Math.max(1, Math.ceil(Buffer.byteLength(prompt) / 4));
}

function apiKey(request: RecordedRequest): string {
  return request.headers["x-api-key"] ?? "";
}

function errorEnvelope(type: string, message: string): Json {
  return { type: "error", error: { type, message } };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, requestId: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "request-id": requestId,
  });
  res.end(text);
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function recordHeaders(req: http.IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

/** Counts `res.write` calls, whoever makes them (default behaviour or a `respondNext` handler). */
function countWrites(res: http.ServerResponse): () => number {
  let count = 0;
  const original = res.write;
  res.write = function countedWrite(this: http.ServerResponse, ...args: unknown[]): boolean {
    count += 1;
    return Reflect.apply(original, this, args) as boolean;
  } as typeof res.write;
  return () => count;
}

function validateTools(body: Json): string | null {
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) return "tools: Input should be a valid list";
    for (const [k, tool] of body.tools.entries()) {
      if (!isRecord(tool)) return `tools.${k}: Input should be a valid dictionary`;
      if (tool.type === "function") {
        return `tools.${k}.type: Input tag 'function' found using 'type' does not match any of the expected tags (an OpenAI-style tool: Anthropic wants {name, description, input_schema})`;
      }
      if (tool.type !== undefined && tool.type !== "custom") continue; // a server tool, e.g. web_search_20250305
      if (typeof tool.name !== "string" || tool.name === "") return `tools.${k}.name: Field required`;
      if (!isRecord(tool.input_schema)) return `tools.${k}.input_schema: Field required`;
    }
  }
  if (body.tool_choice !== undefined) {
    const choice = body.tool_choice;
    if (!isRecord(choice)) {
      return 'tool_choice: Input should be a valid dictionary or object to extract fields from (e.g. {"type":"auto"})';
    }
    if (typeof choice.type !== "string" || !TOOL_CHOICE_TYPES.has(choice.type)) {
      return `tool_choice.type: Input tag '${String(choice.type)}' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'`;
    }
    if (choice.type === "tool" && typeof choice.name !== "string")
      return "tool_choice.tool.name: Field required";
  }
  return null;
}

function validateMessageList(messages: unknown[]): string | null {
  if (messages.length === 0) return "messages: at least one message is required";
  for (const [i, message] of messages.entries()) {
    if (!isRecord(message)) return `messages.${i}: Input should be a valid dictionary`;
    if (message.role === "system") {
      return `messages.${i}.role: Input should be 'user' or 'assistant' (a system prompt goes in the top-level \`system\` parameter, not in \`messages\`)`;
    }
    if (message.role !== "user" && message.role !== "assistant") {
      return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    }
    const content = message.content;
    const finalAssistant = i === messages.length - 1 && message.role === "assistant";
    if (typeof content !== "string" && !Array.isArray(content)) {
      return `messages.${i}.content: Input should be a valid string or list of content blocks`;
    }
    if (content.length === 0 && !finalAssistant) {
      return `messages.${i}: all messages must have non-empty content except for the optional final assistant message`;
    }
    if (Array.isArray(content)) {
      for (const [j, block] of content.entries()) {
        if (!isBlock(block)) return `messages.${i}.content.${j}: Input should be a valid content block`;
        if (block.type === "text" && (typeof block.text !== "string" || block.text === "")) {
          return `messages.${i}.content.${j}.text: text content blocks must be non-empty`;
        }
        if (block.type === "tool_use" && message.role !== "assistant") {
          return `messages.${i}.content.${j}: tool_use blocks can only be in assistant messages`;
        }
        if (block.type === "tool_result" && message.role !== "user") {
          return `messages.${i}.content.${j}: tool_result blocks can only be in user messages`;
        }
      }
    }
  }
  if (isRecord(messages[0]) && messages[0].role !== "user")
    return 'messages: first message must use the "user" role';
  for (let i = 1; i < messages.length; i += 1) {
    const role = (messages[i] as Json).role;
    if ((messages[i - 1] as Json).role === role) {
      return `messages.${i}: roles must alternate between "user" and "assistant", but found multiple "${String(role)}" roles in a row`;
    }
  }
  for (let i = 0; i < messages.length; i += 1) {
    const message = messages[i] as Json;
    if (message.role !== "user") continue;
    const offered = new Set(
      blocksOf(i > 0 ? (messages[i - 1] as Json).content : undefined)
        .filter((b) => b.type === "tool_use")
        .map((b) => b.id),
    );
    for (const [j, block] of blocksOf(message.content).entries()) {
      if (block.type !== "tool_result") continue;
      if (typeof block.tool_use_id !== "string" || !offered.has(block.tool_use_id)) {
        return `messages.${i}.content.${j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(block.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
      }
    }
  }
  for (let i = 0; i + 1 < messages.length; i += 1) {
    const message = messages[i] as Json;
    if (message.role !== "assistant") continue;
    const answered = new Set(
      blocksOf((messages[i + 1] as Json).content)
        .filter((b) => b.type === "tool_result")
        .map((b) => b.tool_use_id),
    );
    const missing = blocksOf(message.content)
      .filter((b) => b.type === "tool_use" && !answered.has(b.id))
      .map((b) => String(b.id));
    if (missing.length > 0) {
      return `messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(", ")}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
    }
  }
  return null;
}

/** What the real API rejects with 400 invalid_request_error, for the mistakes a translator makes; null when fine. */
function validate(body: unknown, endpoint: "messages" | "count_tokens"): string | null {
  if (!isRecord(body)) return "Request body must be a JSON object";
  if (typeof body.model !== "string" || body.model === "") return "model: Field required";
  if (endpoint === "messages") {
    if (body.max_tokens === undefined) return "max_tokens: Field required";
    if (!Number.isInteger(body.max_tokens)) return "max_tokens: Input should be a valid integer";
    if ((body.max_tokens as number) < 1) return "max_tokens: Input should be greater than or equal to 1";
    if (body.stream !== undefined && typeof body.stream !== "boolean") {
      return "stream: Input should be a valid boolean";
    }
    const temperature = body.temperature;
    if (
      temperature !== undefined &&
      (typeof temperature !== "number" || temperature < 0 || temperature > 1)
    ) {
      return "temperature: range: 0..1";
    }
  }
  for (const field of OPENAI_ONLY_FIELDS) {
    if (field in body) return `${field}: Extra inputs are not permitted`;
  }
  if (body.stop_sequences !== undefined) {
    if (!Array.isArray(body.stop_sequences) || !body.stop_sequences.every((s) => typeof s === "string")) {
      return "stop_sequences: Input should be a valid list of strings";
    }
  }
  if (body.system !== undefined) {
    const system = body.system;
    const textBlocks =
      Array.isArray(system) &&
      system.every((b) => isBlock(b) && b.type === "text" && typeof b.text === "string");
    if (typeof system !== "string" && !textBlocks) {
      return "system: Input should be a valid string or a list of text blocks";
    }
  }
  if (!Array.isArray(body.messages)) return "messages: Field required";
  return validateMessageList(body.messages) ?? validateTools(body);
}

export async function startFakeAnthropicProvider(
  options: FakeAnthropicOptions = {},
): Promise<FakeAnthropicProvider> {
  const requireVersion = options.requireVersionHeader !== false;
  const requests: RecordedRequest[] = [];
  const overrides: FakeHandler[] = [];
  const abortedQueue: Aborted[] = [];
  const abortWaiters: Array<(aborted: Aborted) => void> = [];
  /** System texts of requests that already wrote a prompt-cache entry. */
  const cachedSystems = new Set<string>();
  let sequence = 0;
  let closing = false;

  const nextId = (prefix: string): string => {
    sequence += 1;
    return `${prefix}_01Fake${String(sequence).padStart(16, "0")}`;
  };

  function sendError(res: http.ServerResponse, status: number, type: string, message: string): void {
    sendJson(res, status, errorEnvelope(type, message), nextId("req"));
  }

  function usageFor(body: Json): {
    input_tokens: number;
    cache_creation_input_tokens: number;
    cache_read_input_tokens: number;
  } {
    const total = promptTokens(body);
    if (!hasCacheControl([body.system, body.messages, body.tools])) {
      return { input_tokens: total, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
    }
    const systemText = textOf(body.system);
    const cached = Math.max(1, Math.ceil(Buffer.byteLength(JSON.stringify(body.system ?? "")) / 4));
    const input = Math.max(1, total - cached);
    if (cachedSystems.has(systemText)) {
      return { input_tokens: input, cache_creation_input_tokens: 0, cache_read_input_tokens: cached };
    }
    cachedSystems.add(systemText);
    return { input_tokens: input, cache_creation_input_tokens: cached, cache_read_input_tokens: 0 };
  }

  async function messagesEndpoint(body: Json, res: http.ServerResponse): Promise<void> {
    const model = body.model as string;
    const messages = body.messages as Json[];
    const lastUser = [...messages].reverse().find((m) => m.role === "user");
    const answersTools = blocksOf(lastUser?.content).some((b) => b.type === "tool_result");
    const userText = textOf(lastUser?.content).trim();
    const tools = Array.isArray(body.tools) ? body.tools.filter(isRecord) : [];
    const useTools = tools.length > 0 && !answersTools;
    const stream = body.stream === true;
    const hang = stream && userText === "hang";
    const midwayError = stream && userText === "error";

    let text = answersTools ? "It is sunny." : useTools ? "Let me check." : `Hello from ${model}`;
    let stopReason = useTools ? "tool_use" : "end_turn";
    let stopSequence: string | null = null;
    if (!answersTools && !useTools) {
      const stops = Array.isArray(body.stop_sequences) ? (body.stop_sequences as string[]) : [];
      let cut = text.length;
      for (const candidate of stops) {
        const at = candidate === "" ? -1 : text.indexOf(candidate);
        if (at !== -1 && at < cut) {
          cut = at;
          stopSequence = candidate;
        }
      }
      if (stopSequence !== null) {
        text = text.slice(0, cut);
        stopReason = "stop_sequence";
      }
    }
    let pieces = text.split(/(?= )/).filter(Boolean);
    const maxTokens = body.max_tokens as number;
    if (!useTools && (userText === "max" || pieces.length > maxTokens)) {
      pieces = pieces.slice(0, Math.min(pieces.length, maxTokens));
      stopReason = "max_tokens";
      stopSequence = null;
    }
    const toolUses = useTools
      ? tools.slice(0, 2).map((tool, index) => ({
          type: "tool_use",
          id: nextId("toolu"),
          name: typeof tool.name === "string" ? tool.name : `tool_${index}`,
          input: { city: index === 0 ? "Paris" : "Tokyo" },
        }))
      : [];
    const outputTokens = pieces.length + toolUses.length * 8;
    const usage = usageFor(body);
    const id = nextId("msg");

    if (!stream) {
      const content: Json[] = [];
      if (pieces.length > 0) content.push({ type: "text", text: pieces.join("") });
      content.push(...toolUses);
      sendJson(
        res,
        200,
        {
          id,
          type: "message",
          role: "assistant",
          model,
          content,
          stop_reason: stopReason,
          stop_sequence: stopSequence,
          usage: { ...usage, output_tokens: outputTokens },
        },
        nextId("req"),
      );
      return;
    }

    const events: Array<[string, Json]> = [];
    const emit = (data: Json & { type: string }): void => {
      events.push([data.type, data]);
    };
    emit({
      type: "message_start",
      message: {
        id,
        type: "message",
        role: "assistant",
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: 1 },
      },
    });
    let index = 0;
    // One ping, where the real API puts it: after the first content_block_start (none in a `hang` stream).
    if (pieces.length === 0 && !hang) emit({ type: "ping" });
    if (pieces.length > 0) {
      emit({ type: "content_block_start", index, content_block: { type: "text", text: "" } });
      if (!hang) emit({ type: "ping" });
      const shown = hang ? pieces.slice(0, 1) : midwayError ? pieces.slice(0, 2) : pieces;
      for (const piece of shown) {
        emit({ type: "content_block_delta", index, delta: { type: "text_delta", text: piece } });
      }
    }
    if (hang || midwayError) {
      // hang: the response stays open until the peer closes it; error: an `error` event ends it mid-message.
      await writeStream(res, events, hang ? null : errorEnvelope("overloaded_error", "Overloaded"));
      return;
    }
    if (pieces.length > 0) {
      emit({ type: "content_block_stop", index });
      index += 1;
    }
    for (const toolUse of toolUses) {
      const { input, ...start } = toolUse;
      emit({ type: "content_block_start", index, content_block: { ...start, input: {} } });
      const json = JSON.stringify(input);
      emit({ type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: "" } });
      for (let at = 0; at < json.length; at += JSON_FRAGMENT) {
        const partial = json.slice(at, at + JSON_FRAGMENT);
        emit({
          type: "content_block_delta",
          index,
          delta: { type: "input_json_delta", partial_json: partial },
        });
      }
      emit({ type: "content_block_stop", index });
      index += 1;
    }
    emit({
      type: "message_delta",
      delta: { stop_reason: stopReason, stop_sequence: stopSequence },
      usage: { output_tokens: outputTokens },
    });
    emit({ type: "message_stop" });
    await writeStream(res, events, null);
  }

  /** One `res.write` per event, then an `error` event when given; left open when it ends neither in message_stop nor in an error. */
  async function writeStream(
    res: http.ServerResponse,
    events: Array<[string, Json]>,
    error: Json | null,
  ): Promise<void> {
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      "request-id": nextId("req"),
    });
    const all = error === null ? events : [...events, ["error", error] as [string, Json]];
    for (const [name, data] of all) {
      if (res.destroyed) return;
      res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const finished = error !== null || all.at(-1)?.[0] === "message_stop";
    if (finished && !res.destroyed) res.end();
  }

  async function route(
    request: RecordedRequest,
    res: http.ServerResponse,
    invalidJson: boolean,
  ): Promise<void> {
    if (apiKey(request) === "") {
      sendError(res, 401, "authentication_error", "x-api-key header is required");
      return;
    }
    const version = request.headers["anthropic-version"];
    if (requireVersion && version === undefined) {
      sendError(res, 400, "invalid_request_error", "anthropic-version: header is required");
      return;
    }
    if (requireVersion && version !== ANTHROPIC_VERSION) {
      sendError(
        res,
        400,
        "invalid_request_error",
        `anthropic-version: this fake speaks only "${ANTHROPIC_VERSION}", got "${version}"`,
      );
      return;
    }
    const pathname = request.path.split("?")[0];
    const endpoint =
      request.method !== "POST"
        ? null
        : pathname === "/v1/messages"
          ? "messages"
          : pathname === "/v1/messages/count_tokens"
            ? "count_tokens"
            : null;
    if (endpoint === null) {
      sendError(res, 404, "not_found_error", `Not found: ${request.method} ${pathname}`);
      return;
    }
    if (invalidJson) {
      sendError(
        res,
        400,
        "invalid_request_error",
        "There was an error parsing the body of your request as JSON",
      );
      return;
    }
    const problem = validate(request.body, endpoint);
    if (problem !== null) {
      sendError(res, 400, "invalid_request_error", problem);
      return;
    }
    const body = request.body as Json;
    if (endpoint === "count_tokens") sendJson(res, 200, { input_tokens: promptTokens(body) }, nextId("req"));
    else await messagesEndpoint(body, res);
  }

  function reportAborted(aborted: Aborted): void {
    const waiter = abortWaiters.shift();
    if (waiter) waiter(aborted);
    else abortedQueue.push(aborted);
  }

  const server = http.createServer((req, res) => {
    const eventsWritten = countWrites(res);
    void (async () => {
      const raw = await readBody(req);
      let body: unknown = null;
      let invalidJson = false;
      if (raw.trim() !== "") {
        try {
          body = JSON.parse(raw) as unknown;
        } catch {
          invalidJson = true;
        }
      }
      const request: RecordedRequest = {
        method: req.method ?? "GET",
        path: req.url ?? "/",
        headers: recordHeaders(req),
        body,
      };
      requests.push(request);
      res.on("close", () => {
        if (!res.writableEnded && !closing) reportAborted({ request, eventsWritten: eventsWritten() });
      });
      const override = overrides.shift();
      if (override) await override(request, res);
      else await route(request, res, invalidJson);
    })().catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else sendError(res, 500, "api_error", `fake provider failed: ${String(error)}`);
    });
  });

  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    origin,
    requests,
    respondNext(handler) {
      overrides.push(handler);
    },
    failNext(status, error) {
      overrides.push((request, res) => {
        sendError(res, status, error.type, error.message.replaceAll("{{key}}", apiKey(request)));
      });
    },
    nextAbortedResponse() {
      const queued = abortedQueue.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise((resolve) => abortWaiters.push(resolve));
    },
    async close() {
      closing = true;
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

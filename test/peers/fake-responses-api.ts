/**
 * @module test/peers/fake-responses-api
 * What the fake OpenAI provider answers on `POST /responses`: a Response object, or its stream of typed
 * events (`event: <type>` + `data:` with `sequence_number`) as OpenAI's published spec describes them;
 * function calls for the first tools unless the input ends with their outputs; a key-echoing failure on
 * request (`input` "echo-key-failed" / "echo-key-error").
 */

type Json = Record<string, unknown>;

const CREATED_AT = 1_700_000_000;

const isRecord = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const words = (text: string) => text.split(/\s+/).filter(Boolean).length;

function itemText(item: unknown): string {
  if (typeof item === "string") return item;
  if (!isRecord(item)) return "";
  if (typeof item.content === "string") return item.content;
  if (typeof item.output === "string") return item.output;
  if (!Array.isArray(item.content)) return "";
  return item.content
    .map((part) => (isRecord(part) && typeof part.text === "string" ? part.text : ""))
    .join(" ");
}

export interface FakeResponses {
  /** The Response object a non-streamed call answers. */
  readonly response: Json;
  /** The streamed events, in order (each carries its `type` and `sequence_number`). */
  readonly events: readonly Json[];
}

/** The fake's answer to a Responses request; `key` is the bearer key received (echoed on request). */
export function fakeResponses(body: Json, id: number, key: string): FakeResponses {
  const model = typeof body.model === "string" ? body.model : "unknown";
  const input: unknown[] =
    typeof body.input === "string" ? [body.input] : Array.isArray(body.input) ? body.input : [];
  const last = input.at(-1);
  const lastText = itemText(last).trim();
  const tools = (Array.isArray(body.tools) ? body.tools : []).filter(
    (tool): tool is Json => isRecord(tool) && tool.type === "function",
  );
  const useTools = tools.length > 0 && !(isRecord(last) && last.type === "function_call_output");
  const responseId = `resp_fake${id}`;
  const pieces = `Hello from ${model}`.split(/(?= )/);
  const inputTokens = Math.max(
    1,
    input.reduce<number>((sum, item) => sum + words(itemText(item)), 0),
  );
  const calls = useTools
    ? tools.slice(0, 2).map((tool, index) => ({
        id: `fc_fake${id}_${index}`,
        type: "function_call",
        status: "completed",
        call_id: `call_fake${id}_${index}`,
        name: typeof tool.name === "string" ? tool.name : `tool_${index}`,
        arguments: JSON.stringify({ city: index === 0 ? "Paris" : "Tokyo" }),
      }))
    : [];
  const outputTokens = useTools ? calls.length * 8 : pieces.length;
  const text = pieces.join("");
  const part = { type: "output_text", text, annotations: [], logprobs: [] };
  const message = {
    id: `msg_fake${id}`,
    type: "message",
    status: "completed",
    role: "assistant",
    content: [part],
  };
  const output: Json[] = useTools ? calls : [message];
  const usage = {
    input_tokens: inputTokens,
    input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
    output_tokens: outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: inputTokens + outputTokens,
  };
  const failed = lastText === "echo-key-failed";
  const shell = (status: string, withOutput: boolean): Json => ({
    id: responseId,
    object: "response",
    created_at: CREATED_AT,
    status,
    completed_at: status === "completed" ? CREATED_AT + 1 : null,
    error:
      failed && status === "failed" ? { code: "server_error", message: `Upstream refused key ${key}` } : null,
    incomplete_details: null,
    instructions: typeof body.instructions === "string" ? body.instructions : null,
    max_output_tokens: typeof body.max_output_tokens === "number" ? body.max_output_tokens : null,
    model,
    output: withOutput ? output : [],
    parallel_tool_calls: true,
    previous_response_id: typeof body.previous_response_id === "string" ? body.previous_response_id : null,
    reasoning: { effort: null, summary: null },
    store: body.store !== false,
    temperature: typeof body.temperature === "number" ? body.temperature : 1,
    text: { format: { type: "text" } },
    tool_choice: "auto",
    tools: Array.isArray(body.tools) ? body.tools : [],
    top_p: 1,
    truncation: "disabled",
    ...(withOutput ? { usage } : {}),
    metadata: {},
  });

  const events: Json[] = [];
  const emit = (type: string, fields: Json) =>
    events.push({ type, sequence_number: events.length, ...fields });
  emit("response.created", { response: shell("in_progress", false) });
  emit("response.in_progress", { response: shell("in_progress", false) });
  if (failed) {
    emit("response.failed", { response: { ...shell("failed", false), usage } });
    return { response: { ...shell("failed", false), usage }, events };
  }
  if (lastText === "echo-key-error") {
    emit("error", { code: "server_error", message: `Upstream refused key ${key}`, param: null });
    return { response: shell("failed", false), events };
  }
  if (useTools) {
    calls.forEach((call, index) => {
      emit("response.output_item.added", {
        output_index: index,
        item: { ...call, status: "in_progress", arguments: "" },
      });
      for (let at = 0; at < call.arguments.length; at += 4) {
        emit("response.function_call_arguments.delta", {
          item_id: call.id,
          output_index: index,
          delta: call.arguments.slice(at, at + 4),
        });
      }
      emit("response.function_call_arguments.done", {
        item_id: call.id,
        name: call.name,
        output_index: index,
        arguments: call.arguments,
      });
      emit("response.output_item.done", { output_index: index, item: call });
    });
  } else {
    const where = { item_id: message.id, output_index: 0 };
    emit("response.output_item.added", {
      output_index: 0,
      item: { ...message, status: "in_progress", content: [] },
    });
    emit("response.content_part.added", { ...where, content_index: 0, part: { ...part, text: "" } });
    for (const piece of pieces) {
      emit("response.output_text.delta", { ...where, content_index: 0, delta: piece, logprobs: [] });
    }
    emit("response.output_text.done", { ...where, content_index: 0, text, logprobs: [] });
    emit("response.content_part.done", { ...where, content_index: 0, part });
    emit("response.output_item.done", { output_index: 0, item: message });
  }
  emit("response.completed", { response: shell("completed", true) });
  return { response: shell("completed", true), events };
}

/** One event as OpenAI sends it: its type on the `event:` line, the JSON on one `data:` line. */
export const encodeResponsesEvent = (event: Json): string =>
  `event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`;

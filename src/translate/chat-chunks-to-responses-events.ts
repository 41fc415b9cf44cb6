/**
 * @module translate/chat-chunks-to-responses-events
 * A chat-completion SSE stream (bytes or text, split anywhere) → the Responses API's typed events, each
 * with its `event:` line and `sequence_number`: `response.created`, `response.in_progress`, the output
 * items' events as chunks arrive, then `response.completed` (or `response.incomplete`) with the whole
 * Response; a failure ends the stream with an `error` event (what OpenAI's SDK raises) and the terminal
 * `response.failed` carrying the Response so far (`status: "failed"`, its `error`).
 */
import { GatewayError } from "../errors/gateway-error.ts";
import { createSseParser, type SseEvent } from "../wire/anthropic/create-sse-parser.ts";
import { readOpenAiUsage, type TokenUsage } from "../wire/openai/openai-usage.ts";
import { encodeResponsesErrorEvent, responseErrorOf } from "../wire/openai/responses-error-event.ts";
import { parseUpstreamJson } from "../wire/parse-upstream-json.ts";
import { buildResponseObject } from "./build-response-object.ts";
import { incompleteReasonOf, itemIdOf } from "./chat-to-responses-response.ts";
import { chatUsageToResponses } from "./chat-usage-to-responses.ts";
import { isAbsent, isJsonObject, type JsonObject, readString } from "./json-object.ts";
import type { ResponsesContext } from "./responses-context.ts";
import { createResponsesOutputItems, type ResponsesEvent } from "./responses-output-items.ts";
import { type DescribeStreamFailure, describeStreamFailure, type StreamFailure } from "./stream-failure.ts";
import type { StreamTranslator } from "./stream-translator.ts";

/** The default bound on what is held for the final Response (the egress response cap's default). */
export const DEFAULT_MAX_HELD_BYTES = 32 * 1024 * 1024;

export interface ChatToResponsesStreamOptions {
  readonly context: ResponsesContext;
  /** Called once when the stream ends with the usage seen (`complete` false when it failed or was cut). */
  readonly onUsage?: (usage: TokenUsage, complete: boolean) => void;
  readonly describeFailure?: DescribeStreamFailure;
  /**
   * The most bytes held for the final Response (text, arguments, names, ids and a fixed cost per item);
   * past it, or past MAX_STREAM_ITEMS items, the stream fails cleanly with `response_too_large`.
   */
  readonly maxHeldBytes?: number;
  /**
   * Where the bytes held for the final Response are counted while the stream runs (the call's share of the
   * answer memory, given back when the call ends): bytes it refuses end the stream cleanly with its error.
   */
  readonly held?: { take(bytes: number): GatewayError | null };
  /** Seconds since the epoch, for `completed_at`. */
  readonly now?: () => number;
}

export interface ResponsesStreamTranslator extends StreamTranslator {
  /**
   * The `error` and `response.failed` events for a failure the relay hit outside the translator, numbered
   * after what was written.
   */
  errorEvent(failure: GatewayError): string;
  /** Bytes of generated text, arguments, names and call ids seen (an estimate's basis when no usage came). */
  textBytes(): number;
}

const UNREADABLE: StreamFailure = { reason: "invalid_event", providerType: null, providerMessage: null };

export function createChatToResponsesStream(
  options: ChatToResponsesStreamOptions,
): ResponsesStreamTranslator {
  const { context } = options;
  const describe = options.describeFailure ?? describeStreamFailure;
  const maxHeld = options.maxHeldBytes ?? DEFAULT_MAX_HELD_BYTES;
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const parser = createSseParser({ strict: true });
  const items = createResponsesOutputItems((prefix, index) => itemIdOf(context, prefix, index));
  let sequence = 0;
  let started = false;
  let closed = false;
  let finishReason: unknown = null;
  let finishSeen = false;
  /** Held bytes already counted in `options.held`. */
  let counted = 0;
  let usage: unknown = null;
  let failure: GatewayError | null = null;
  /** Why the upstream stopped, when the relay knows (a time limit, a cut): the end's error event says it. */
  let cause: GatewayError | null = null;

  const write = (type: string, fields: JsonObject): string =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...fields, sequence_number: sequence++ })}\n\n`;
  const render = (events: readonly ResponsesEvent[], out: string[]): void => {
    for (const item of events) out.push(write(item.type, item.fields));
  };
  const start = (out: string[]): void => {
    if (started) return;
    started = true;
    const response = buildResponseObject(context, { status: "in_progress", output: [] });
    out.push(write("response.created", { response }));
    out.push(write("response.in_progress", { response }));
  };
  const reportUsage = (complete: boolean): void => {
    const counts = readOpenAiUsage(usage);
    if (counts !== null) options.onUsage?.(counts, complete);
  };
  /**
   * The end of a failed stream: the `error` event (the SDKs raise it), then the failed Response with the
   * output so far; none when the output is what failed (past the caps: it is not sent again).
   */
  const failEvents = (error: GatewayError, out: string[], withOutput = true): void => {
    out.push(encodeResponsesErrorEvent(error, sequence++));
    const response = buildResponseObject(context, {
      status: "failed",
      output: withOutput ? items.output("incomplete") : [],
      usage: chatUsageToResponses(usage),
      error: responseErrorOf(error),
    });
    out.push(write("response.failed", { response }));
  };
  const fail = (reason: StreamFailure | GatewayError, out: string[], overCap = false): void => {
    if (closed) return;
    closed = true;
    if (reason instanceof GatewayError) failure = reason;
    else failure = reason.reason === "truncated" && cause !== null ? cause : describe(reason);
    reportUsage(false);
    start(out);
    failEvents(failure, out, !overCap);
  };
  const done = (out: string[]): void => {
    if (closed) return;
    closed = true;
    start(out);
    const incomplete = incompleteReasonOf(finishReason);
    const status = incomplete === undefined ? "completed" : "incomplete";
    render(items.close(status), out);
    const response = buildResponseObject(context, {
      status,
      output: items.output(status),
      usage: chatUsageToResponses(usage),
      ...(incomplete === undefined
        ? { completedAt: Math.max(context.createdAt, now()) }
        : { incompleteReason: incomplete }),
    });
    out.push(write(incomplete === undefined ? "response.completed" : "response.incomplete", { response }));
    reportUsage(true);
  };

  const chunk = (data: JsonObject, out: string[]): void => {
    if (!isAbsent(data.error)) {
      const error = isJsonObject(data.error) ? data.error : {};
      fail(
        {
          reason: "provider_error",
          providerType: readString(error.type) ?? readString(error.code),
          providerMessage: readString(error.message),
        },
        out,
      );
      return;
    }
    start(out);
    if (isJsonObject(data.usage)) usage = data.usage;
    const choice = Array.isArray(data.choices)
      ? data.choices.find((item: unknown) => isJsonObject(item) && (item.index ?? 0) === 0)
      : undefined;
    if (!isJsonObject(choice)) return;
    const delta = isJsonObject(choice.delta) ? choice.delta : {};
    const content = readString(delta.content);
    if (content !== null && content !== "") render(items.text("output_text", content), out);
    const refusal = readString(delta.refusal);
    if (refusal !== null && refusal !== "") render(items.text("refusal", refusal), out);
    if (Array.isArray(delta.tool_calls)) {
      delta.tool_calls.forEach((call: unknown, position) => {
        if (!isJsonObject(call)) return;
        const fn = isJsonObject(call.function) ? call.function : {};
        const index = typeof call.index === "number" ? call.index : position;
        const name = readString(fn.name);
        render(items.toolCall(index, readString(call.id), name, readString(fn.arguments) ?? ""), out);
      });
    }
    if (!isAbsent(choice.finish_reason)) {
      finishReason = choice.finish_reason;
      finishSeen = true;
    }
    if (items.heldBytes() > maxHeld || items.overflowed())
      fail(
        new GatewayError("upstream_error", {
          message: "The provider's answer is larger than the gateway's response cap.",
          code: "response_too_large",
        }),
        out,
        true,
      );
    else if (options.held !== undefined && items.heldBytes() > counted) {
      const refused = options.held.take(items.heldBytes() - counted);
      if (refused === null) counted = items.heldBytes();
      else fail(refused, out, true);
    }
  };

  const handle = (event: SseEvent, out: string[]): void => {
    if (closed) return;
    if (event.problem !== undefined) {
      const reason = event.problem === "too_large" ? "event_too_large" : "invalid_event";
      fail({ reason, providerType: null, providerMessage: null }, out);
      return;
    }
    if (event.data.trim() === "[DONE]") {
      done(out);
      return;
    }
    // Depth-checked before the parse: no later walk or serialization of it can overflow.
    const parsed = parseUpstreamJson(event.data);
    if (!parsed.ok) {
      fail(UNREADABLE, out);
      return;
    }
    let data = parsed.value;
    // A host that names its error event may send the bare error object.
    if (event.event === "error" && !(isJsonObject(data) && "error" in data)) data = { error: data };
    // One policy on every ingress: a chunk that is no object, or whose `choices` is no array, is unreadable.
    if (!isJsonObject(data) || (!isAbsent(data.choices) && !Array.isArray(data.choices))) {
      fail(UNREADABLE, out);
      return;
    }
    chunk(data, out);
  };

  return {
    push(piece) {
      const out: string[] = [];
      for (const event of parser.push(piece)) handle(event, out);
      return out;
    },
    end(upstreamFailure) {
      const out: string[] = [];
      if (upstreamFailure === undefined) for (const event of parser.end()) handle(event, out);
      else cause = upstreamFailure; // a partial event of a failed upstream is dropped, never read
      // Hosts that omit `[DONE]` still sent a finish_reason: the answer is whole.
      if (finishSeen) done(out);
      else fail({ reason: "truncated", providerType: null, providerMessage: null }, out);
      return out;
    },
    failure: () => failure,
    errorEvent(error) {
      closed = true;
      const out: string[] = [];
      start(out);
      failEvents(error, out);
      return out.join("");
    },
    textBytes: () => items.textBytes(),
  };
}

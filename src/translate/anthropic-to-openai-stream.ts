/**
 * @module translate/anthropic-to-openai-stream
 * An Anthropic Messages SSE stream (bytes or text, split anywhere) → OpenAI chat-completion SSE text:
 * `data: {chunk}` events, `data: [DONE]` last; an upstream error ends the stream with `data: {"error": …}`
 * and no `[DONE]` (as the gateway's relay does), which the OpenAI SDK raises.
 */
import type { GatewayError } from "../errors/gateway-error.ts";
import { createSseParser, type SseEvent } from "../wire/anthropic/create-sse-parser.ts";
import { encodeSseEvent } from "../wire/anthropic/encode-sse-event.ts";
import { parseUpstreamJson } from "../wire/parse-upstream-json.ts";
import {
  type AnthropicToOpenAiStreamOptions,
  createAnthropicEventTranslator,
  type OpenAiStreamItem,
} from "./anthropic-events-to-openai-chunks.ts";
import { isJsonObject } from "./json-object.ts";
import { describeStreamFailure } from "./stream-failure.ts";
import type { StreamTranslator } from "./stream-translator.ts";

const DONE = "data: [DONE]\n\n";

function render(items: readonly OpenAiStreamItem[], out: string[]): void {
  for (const item of items) {
    if (item.kind === "done") out.push(DONE);
    else out.push(encodeSseEvent(JSON.stringify(item.kind === "chunk" ? item.chunk : item.body)));
  }
}

export function createAnthropicToOpenAiStream(options: AnthropicToOpenAiStreamOptions): StreamTranslator {
  const parser = createSseParser({ strict: true });
  let failure: GatewayError | null = null;
  /** Why the upstream stopped, when the relay knows (a time limit, a cut): the end's error event says it. */
  let cause: GatewayError | null = null;
  const describe = options.describeFailure ?? describeStreamFailure;
  const events = createAnthropicEventTranslator({
    ...options,
    describeFailure: (reason) => {
      failure = reason.reason === "truncated" && cause !== null ? cause : describe(reason);
      return failure;
    },
  });
  const handle = (event: SseEvent, out: string[]): void => {
    if (event.problem !== undefined) {
      const reason = event.problem === "too_large" ? "event_too_large" : "invalid_event";
      render(events.fail({ reason, providerType: null, providerMessage: null }), out);
      return;
    }
    // Depth-checked before the parse: no later walk or serialization of it can overflow.
    const parsed = parseUpstreamJson(event.data);
    if (!parsed.ok) {
      render(events.fail({ reason: "invalid_event", providerType: null, providerMessage: null }), out);
      return;
    }
    const data = parsed.value;
    // One policy on every ingress (docs/api.md): an event that is no object, or names no string type, is unreadable.
    if (!isJsonObject(data) || (data.type !== undefined && typeof data.type !== "string")) {
      render(events.fail({ reason: "invalid_event", providerType: null, providerMessage: null }), out);
      return;
    }
    render(events.event(event.event, data), out);
  };
  return {
    push(chunk) {
      const out: string[] = [];
      for (const event of parser.push(chunk)) handle(event, out);
      return out;
    },
    end(upstreamFailure) {
      const out: string[] = [];
      if (upstreamFailure === undefined) for (const event of parser.end()) handle(event, out);
      else cause = upstreamFailure; // a partial event of a failed upstream is dropped, never read
      render(events.end(), out);
      return out;
    },
    failure: () => failure,
  };
}

/**
 * @module translate/openai-to-anthropic-stream
 * An OpenAI chat-completion SSE stream (bytes or text, split anywhere) → Anthropic Messages SSE text, every
 * event with its `event:` line; an upstream error ends the stream with `event: error`.
 */

import type { GatewayError } from "../errors/gateway-error.ts";
import type { AnthropicStreamEvent } from "../wire/anthropic/anthropic-types.ts";
import { createSseParser, type SseEvent } from "../wire/anthropic/create-sse-parser.ts";
import { encodeSseEvent } from "../wire/anthropic/encode-sse-event.ts";
import { parseUpstreamJson } from "../wire/parse-upstream-json.ts";
import { isAbsent, isJsonObject } from "./json-object.ts";
import {
  createOpenAiChunkTranslator,
  type OpenAiToAnthropicStreamOptions,
} from "./openai-chunks-to-anthropic-events.ts";
import { describeStreamFailure } from "./stream-failure.ts";
import type { StreamTranslator } from "./stream-translator.ts";

function render(events: readonly AnthropicStreamEvent[], out: string[]): void {
  for (const item of events) out.push(encodeSseEvent(JSON.stringify(item.data), item.event));
}

export function createOpenAiToAnthropicStream(
  options: OpenAiToAnthropicStreamOptions = {},
): StreamTranslator {
  const parser = createSseParser({ strict: true });
  let failure: GatewayError | null = null;
  /** Why the upstream stopped, when the relay knows (a time limit, a cut): the end's error event says it. */
  let cause: GatewayError | null = null;
  const describe = options.describeFailure ?? describeStreamFailure;
  const chunks = createOpenAiChunkTranslator({
    ...options,
    describeFailure: (reason) => {
      failure = reason.reason === "truncated" && cause !== null ? cause : describe(reason);
      return failure;
    },
  });
  const handle = (event: SseEvent, out: string[]): void => {
    if (event.problem !== undefined) {
      const reason = event.problem === "too_large" ? "event_too_large" : "invalid_event";
      render(chunks.fail({ reason, providerType: null, providerMessage: null }), out);
      return;
    }
    if (event.data.trim() === "[DONE]") {
      render(chunks.done(), out);
      return;
    }
    // Depth-checked before the parse: no later walk or serialization of it can overflow.
    const parsed = parseUpstreamJson(event.data);
    if (!parsed.ok) {
      render(chunks.fail({ reason: "invalid_event", providerType: null, providerMessage: null }), out);
      return;
    }
    let data = parsed.value;
    // A host that names its error event may send the bare error object.
    if (event.event === "error" && !(isJsonObject(data) && "error" in data)) data = { error: data };
    // One policy on every ingress (docs/api.md): a chunk whose `choices` is no array is unreadable.
    if (isJsonObject(data) && !isAbsent(data.choices) && !Array.isArray(data.choices)) {
      render(chunks.fail({ reason: "invalid_event", providerType: null, providerMessage: null }), out);
      return;
    }
    render(chunks.chunk(data), out);
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
      render(chunks.end(), out);
      return out;
    },
    failure: () => failure,
  };
}

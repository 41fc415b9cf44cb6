/**
 * @module translate/anthropic-to-responses-stream
 * An Anthropic Messages SSE stream → the Responses API's typed events, as two translators composed: the
 * Anthropic → chat one (its usage chunk asked for) fed into the chat → Responses one; a failure said once,
 * by the Responses `error` event.
 */
import type { TokenUsage } from "../wire/openai/openai-usage.ts";
import { createAnthropicToOpenAiStream } from "./anthropic-to-openai-stream.ts";
import {
  type ChatToResponsesStreamOptions,
  createChatToResponsesStream,
  type ResponsesStreamTranslator,
} from "./chat-chunks-to-responses-events.ts";
import { composeStreamTranslators } from "./compose-stream-translators.ts";

export interface AnthropicToResponsesStreamOptions extends Omit<ChatToResponsesStreamOptions, "onUsage"> {
  /** From the request translation: this forced tool's input streams as text. */
  readonly jsonToolName?: string | null;
  /** The upstream model, reported until `message_start` names one. */
  readonly model?: string;
  /** Called once when the stream ends with the usage Anthropic reported (`complete` false when cut). */
  readonly onUsage?: (usage: TokenUsage, complete: boolean) => void;
}

/** The chat translator's error event (`data: {"error": …}`): withheld, the Responses one says it instead. */
const isChatErrorEvent = (event: string): boolean => event.startsWith('data: {"error"');

export function createAnthropicToResponsesStream(
  options: AnthropicToResponsesStreamOptions,
): ResponsesStreamTranslator {
  const { onUsage, jsonToolName, model, ...rest } = options;
  const toChat = createAnthropicToOpenAiStream({
    includeUsage: true,
    created: options.context.createdAt,
    ...(jsonToolName === undefined ? {} : { jsonToolName }),
    ...(model === undefined ? {} : { model }),
    ...(onUsage === undefined ? {} : { onUsage }),
    ...(options.describeFailure === undefined ? {} : { describeFailure: options.describeFailure }),
  });
  const toResponses = createChatToResponsesStream(rest);
  const composed = composeStreamTranslators(toChat, toResponses, { isErrorEvent: isChatErrorEvent });
  return { ...composed, errorEvent: toResponses.errorEvent, textBytes: toResponses.textBytes };
}

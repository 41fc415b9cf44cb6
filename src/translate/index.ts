/**
 * @module translate
 * OpenAI ⇄ Anthropic translation of requests, responses and streams, and OpenAI Responses ⇄ Chat
 * Completions (pure: no HTTP, no provider calls).
 */
export {
  type AnthropicEventTranslator,
  type AnthropicToOpenAiStreamOptions,
  createAnthropicEventTranslator,
  type OpenAiStreamItem,
} from "./anthropic-events-to-openai-chunks.ts";
export {
  type AnthropicToOpenAiRequestOptions,
  anthropicToOpenAiRequest,
  type OpenAiRequestTranslation,
} from "./anthropic-to-openai-request.ts";
export {
  type AnthropicToOpenAiResponseOptions,
  anthropicToOpenAiResponse,
} from "./anthropic-to-openai-response.ts";
export { createAnthropicToOpenAiStream } from "./anthropic-to-openai-stream.ts";
export { anthropicUsageToOpenAi, anthropicUsageToTokenUsage } from "./anthropic-usage-to-openai.ts";
export {
  buildResponseObject,
  type ResponseObjectParts,
  type ResponseStatus,
} from "./build-response-object.ts";
export {
  type ChatToResponsesStreamOptions,
  createChatToResponsesStream,
  type ResponsesStreamTranslator,
} from "./chat-chunks-to-responses-events.ts";
export { chatToResponsesResponse, incompleteReasonOf, itemIdOf } from "./chat-to-responses-response.ts";
export { chatUsageToResponses } from "./chat-usage-to-responses.ts";
export { createTranslateTransform, type TranslateRedaction } from "./create-translate-transform.ts";
export { mapAnthropicStopReason } from "./map-anthropic-stop-reason.ts";
export { mapOpenAiFinishReason } from "./map-openai-finish-reason.ts";
export type * from "./openai-chat-types.ts";
export {
  createOpenAiChunkTranslator,
  type OpenAiChunkTranslator,
  type OpenAiToAnthropicStreamOptions,
} from "./openai-chunks-to-anthropic-events.ts";
export {
  type AnthropicRequestTranslation,
  DEFAULT_MAX_TOKENS,
  type OpenAiToAnthropicRequestOptions,
  openAiToAnthropicRequest,
} from "./openai-to-anthropic-request.ts";
export {
  type OpenAiToAnthropicResponseOptions,
  openAiToAnthropicResponse,
} from "./openai-to-anthropic-response.ts";
export { createOpenAiToAnthropicStream } from "./openai-to-anthropic-stream.ts";
export { JSON_RESPONSE_TOOL } from "./openai-tools-to-anthropic.ts";
export { openAiUsageToAnthropic } from "./openai-usage-to-anthropic.ts";
export type { ResponsesContext } from "./responses-context.ts";
export {
  type ResponsesToChatRequestOptions,
  responsesToChatRequest,
} from "./responses-to-chat-request.ts";
export {
  type DescribeStreamFailure,
  describeStreamFailure,
  type StreamFailure,
  type StreamFailureSource,
} from "./stream-failure.ts";
export { type StreamTranslator, translateStream } from "./stream-translator.ts";
export {
  type Translation,
  type TranslationError,
  type TranslationErrorCode,
  toGatewayError,
} from "./translation-result.ts";

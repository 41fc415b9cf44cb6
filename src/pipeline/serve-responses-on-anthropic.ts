/**
 * @module pipeline/serve-responses-on-anthropic
 * `POST /v1/responses` on an Anthropic route, by composition: the Responses request → chat
 * (responsesToChatRequest) → Anthropic Messages (openAiToAnthropicRequest, with the route's defaults and
 * cache breakpoints); the answer back through chat (anthropicToOpenAiResponse → chatToResponsesResponse),
 * the stream through both stream translators composed as one (createAnthropicToResponsesStream).
 * Stateless, metered as chat.
 */
import { randomUUID } from "node:crypto";
import { withHeaders } from "../errors/gateway-error.ts";
import { createAnthropicToResponsesStream } from "../translate/anthropic-to-responses-stream.ts";
import { chatToResponsesResponse } from "../translate/chat-to-responses-response.ts";
import {
  anthropicToOpenAiResponse,
  createTranslateTransform,
  type DescribeStreamFailure,
  describeStreamFailure,
  openAiToAnthropicRequest,
  toGatewayError as translationError,
} from "../translate/index.ts";
import type { ResponsesContext } from "../translate/responses-context.ts";
import { responsesToChatRequest } from "../translate/responses-to-chat-request.ts";
import { readOpenAiUsage, type TokenUsage } from "../wire/openai/openai-usage.ts";
import { applyRouteParams } from "./build-upstream-body.ts";
import { contentRedactorFor, keyQuoteTextCheckFor, secretsOf } from "./call-secrets.ts";
import { failureOf, type PipelineKit, type RoutedCall } from "./create-pipeline-kit.ts";
import type { ModelCall, PipelineResponse } from "./pipeline-types.ts";
import { serializeTranslatedAnswer } from "./redact-whole-answer.ts";

export async function serveResponsesOnAnthropic(
  kit: PipelineKit,
  call: ModelCall,
  body: Readonly<Record<string, unknown>>,
  routed: RoutedCall,
  started: number,
): Promise<PipelineResponse> {
  const { route, adapter } = routed;
  const chat = responsesToChatRequest(body, { model: route.model });
  if (!chat.ok) throw withHeaders(translationError(chat.error), kit.routeHeader(route));
  const chatBody = applyRouteParams(chat.value.body, route);
  // The chat stream carries its usage chunk: the Responses translator reports it in `response.completed`.
  if (chatBody.stream === true) chatBody.stream_options = { include_usage: true };
  const translated = openAiToAnthropicRequest(chatBody, {
    model: route.model,
    cacheBreakpoints: route.promptCacheKey !== "off",
  });
  if (!translated.ok) throw withHeaders(translationError(translated.error), kit.routeHeader(route));
  const { body: request, jsonToolName } = translated.value;
  const stream = request.stream === true;
  const json = JSON.stringify(request);
  const context: ResponsesContext = {
    id: `resp_${randomUUID().replaceAll("-", "")}`,
    createdAt: Math.floor(kit.now() / 1000),
    model: typeof body.model === "string" ? body.model : route.model,
    request: body,
  };
  const { response, report } = await kit.admitAndSend(call, "responses", routed, started, {
    json,
    stream,
    maxOutputTokens: request.max_tokens,
    upstream: request as unknown as Readonly<Record<string, unknown>>,
  });

  if (stream) {
    let usage: TokenUsage | null = null;
    const redact = kit.redactorFor(call, route);
    // A provider's mid-stream error keeps its message, keys redacted, like any upstream error.
    const describeFailure: DescribeStreamFailure = (failure) =>
      describeStreamFailure(failure, { provider: adapter.id, redact });
    const translator = createAnthropicToResponsesStream({
      context,
      jsonToolName,
      model: route.model,
      onUsage: (reported) => {
        usage = reported;
      },
      describeFailure,
      maxHeldBytes: kit.config.upstream.maxResponseBytes,
      held: call.answerShare,
      now: () => Math.floor(kit.now() / 1000),
    });
    return kit.relay(
      call,
      routed,
      response.body,
      // Translated events that quote a key in play (generated text, tool arguments, call ids, the final
      // Response) are redacted.
      createTranslateTransform(translator, (failure) => translator.errorEvent(failure), {
        quotesKey: keyQuoteTextCheckFor(call, route),
        redact: contentRedactorFor(call, route),
      }),
      { usage: () => usage, requestJson: json, textBytes: translator.textBytes, report },
    );
  }

  let answer: string;
  let usage: TokenUsage | null = null;
  try {
    const { parsed } = await kit.readJson(response, routed, call.signal);
    const completion = anthropicToOpenAiResponse(parsed, { jsonToolName, model: route.model });
    if (!completion.ok)
      throw withHeaders(translationError(completion.error, adapter.id), kit.routeHeader(route));
    usage = readOpenAiUsage(completion.value.usage);
    const answered = chatToResponsesResponse(completion.value, context);
    if (!answered.ok) throw withHeaders(translationError(answered.error, adapter.id), kit.routeHeader(route));
    answer = serializeTranslatedAnswer(answered.value, secretsOf(call, route));
  } catch (error) {
    report({ stream: false, ...failureOf(error), usage: null });
    throw error;
  }
  return kit.answerWhole(route, report, { body: answer, usage, requestJson: json });
}

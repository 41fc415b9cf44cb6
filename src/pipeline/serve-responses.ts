/**
 * @module pipeline/serve-responses
 * `POST /v1/responses` once routed: passed through where the upstream speaks the Responses API, translated
 * to Anthropic Messages on Anthropic routes, and here translated to and from Chat Completions on every
 * other route (stateless; usage metered as chat).
 */
import { type GatewayError, withHeaders } from "../errors/gateway-error.ts";
import { createChatToResponsesStream } from "../translate/chat-chunks-to-responses-events.ts";
import { chatToResponsesResponse } from "../translate/chat-to-responses-response.ts";
import {
  createTranslateTransform,
  describeStreamFailure,
  toGatewayError as translationError,
} from "../translate/index.ts";
import { responsesToChatRequest } from "../translate/responses-to-chat-request.ts";
import { countDeltaText } from "../wire/openai/count-delta-text.ts";
import { normalizeChatCompletion } from "../wire/openai/normalize-chat-completion.ts";
import { readOpenAiUsage, type TokenUsage } from "../wire/openai/openai-usage.ts";
import { deriveSafetyIdentifier, refuseOperatorAccountUse } from "./build-responses-body.ts";
import { buildChatBody } from "./build-upstream-body.ts";
import { contentRedactorFor, keyQuoteTextCheckFor, secretsOf } from "./call-secrets.ts";
import { failureOf, type PipelineKit, type RoutedCall } from "./create-pipeline-kit.ts";
import { createResponsesContext } from "./create-responses-context.ts";
import type { ModelCall, PipelineResponse } from "./pipeline-types.ts";
import { serializeTranslatedAnswer } from "./redact-whole-answer.ts";
import { serveResponsesOnAnthropic } from "./serve-responses-on-anthropic.ts";
import { servePassThroughResponses } from "./serve-responses-pass-through.ts";

export async function serveResponses(
  kit: PipelineKit,
  call: ModelCall,
  body: Readonly<Record<string, unknown>>,
  routed: RoutedCall,
  started: number,
): Promise<PipelineResponse> {
  if (routed.route.responsesApi) return servePassThroughResponses(kit, call, body, routed, started);
  const served = routed.route.source === "operator" ? forOperatorAccount(kit, call, body, routed) : body;
  if (routed.adapter.dialect === "anthropic")
    return serveResponsesOnAnthropic(kit, call, served, routed, started);
  return serveResponsesOnChat(kit, call, served, routed, started);
}

/**
 * A translated request on the operator's key: the same allow list as the pass-through (one source of truth),
 * and the client's `safety_identifier` / `user`, when sent, replaced by the per-user identifier.
 */
function forOperatorAccount(
  kit: PipelineKit,
  call: ModelCall,
  body: Readonly<Record<string, unknown>>,
  routed: RoutedCall,
): Readonly<Record<string, unknown>> {
  refuseOperatorAccountUse(body, routed.route, kit.config.responses.allowStatefulOnOperatorKeys);
  const identifier = deriveSafetyIdentifier(kit.promptCacheFor(call));
  return {
    ...body,
    ...(body.safety_identifier === undefined ? {} : { safety_identifier: identifier }),
    ...(body.user === undefined ? {} : { user: identifier }),
  };
}

/** Responses in, a Chat Completions upstream: the request translated, the chat path's post-processing. */
async function serveResponsesOnChat(
  kit: PipelineKit,
  call: ModelCall,
  body: Readonly<Record<string, unknown>>,
  routed: RoutedCall,
  started: number,
): Promise<PipelineResponse> {
  const { route, adapter } = routed;
  const request = responsesToChatRequest(body, {
    model: route.model,
    maxTokensField: adapter.id === "openai" ? "max_completion_tokens" : "max_tokens",
  });
  if (!request.ok) throw withHeaders(translationError(request.error), kit.routeHeader(route));
  const upstreamBody = buildChatBody(request.value.body, route, adapter, kit.promptCacheFor(call));
  const context = createResponsesContext(kit, body, routed);
  const { response, report } = await kit.admitAndSend(call, "responses", routed, started, upstreamBody);
  if (upstreamBody.stream) {
    let usage: TokenUsage | null = null;
    const redact = kit.redactorFor(call, route);
    const translator = createChatToResponsesStream({
      context,
      // A provider's mid-stream error keeps its message, keys redacted, like any upstream error.
      describeFailure: (failure) => describeStreamFailure(failure, { provider: adapter.id, redact }),
      maxHeldBytes: kit.config.upstream.maxResponseBytes,
      held: call.answerShare,
      now: () => Math.floor(kit.now() / 1000),
      onUsage: (reported, complete) => {
        if (complete || reported.inputTokens + reported.outputTokens > 0) usage = reported;
      },
    });
    return kit.relay(
      call,
      routed,
      response.body,
      // Translated events that quote a key in play (generated text, tool arguments, call ids, the final
      // Response) are redacted.
      createTranslateTransform(translator, (failure: GatewayError) => translator.errorEvent(failure), {
        quotesKey: keyQuoteTextCheckFor(call, route),
        redact: contentRedactorFor(call, route),
      }),
      { usage: () => usage, requestJson: upstreamBody.json, textBytes: translator.textBytes, report },
    );
  }
  let text: string;
  let answer: string;
  let usage: TokenUsage | null;
  try {
    const read = await kit.readJson(response, routed, call.signal);
    text = read.text;
    const { parsed } = read;
    if (normalizeChatCompletion(parsed, route.model) === "invalid") throw kit.shapeError(routed);
    usage = readOpenAiUsage((parsed as { usage?: unknown }).usage);
    const translated = chatToResponsesResponse(parsed, context, Math.floor(kit.now() / 1000));
    if (!translated.ok)
      throw withHeaders(translationError(translated.error, adapter.id), kit.routeHeader(route));
    answer = serializeTranslatedAnswer(translated.value, secretsOf(call, route));
  } catch (error) {
    report({ stream: false, ...failureOf(error), usage: null });
    throw error;
  }
  return kit.answerWhole(route, report, {
    body: answer,
    usage,
    requestJson: upstreamBody.json,
    textBytes: () => countDeltaText(Buffer.from(text)),
  });
}

import { type GatewayError, withHeaders } from "../errors/gateway-error.ts";
import {
  anthropicToOpenAiRequest,
  anthropicUsageToTokenUsage,
  createOpenAiToAnthropicStream,
  createTranslateTransform,
  describeStreamFailure,
  openAiToAnthropicResponse,
  toGatewayError as translationError,
} from "../translate/index.ts";
import { toAnthropicErrorBody } from "../wire/anthropic/anthropic-error-body.ts";
import { readAnthropicUsage } from "../wire/anthropic/anthropic-usage.ts";
import { createAnthropicUsageTap } from "../wire/anthropic/create-anthropic-usage-tap.ts";
import { encodeSseEvent } from "../wire/anthropic/encode-sse-event.ts";
import { normalizeChatCompletion } from "../wire/openai/normalize-chat-completion.ts";
import { readOpenAiUsage, type TokenUsage } from "../wire/openai/openai-usage.ts";
import { applyRouteParams, buildChatBody } from "./build-upstream-body.ts";
import { contentRedactorFor, keyQuoteTextCheckFor, secretsOf } from "./call-secrets.ts";
import { failureOf, type PipelineKit, type RoutedCall } from "./create-pipeline-kit.ts";
import type { ModelCall, PipelineResponse } from "./pipeline-types.ts";
import { redactWholeAnswer, serializeTranslatedAnswer } from "./redact-whole-answer.ts";

/** How a failed stream ends on this ingress: Anthropic's `event: error`. */
const anthropicFailureEvent = (failure: GatewayError): string =>
  encodeSseEvent(JSON.stringify(toAnthropicErrorBody(failure)), "error");

const maxTokensOf = (body: Readonly<Record<string, unknown>>): number | null =>
  typeof body.max_tokens === "number" && Number.isFinite(body.max_tokens) && body.max_tokens >= 0
    ? body.max_tokens
    : null;

export async function serveMessages(
  kit: PipelineKit,
  call: ModelCall,
  body: Readonly<Record<string, unknown>>,
  routed: RoutedCall,
  started: number,
): Promise<PipelineResponse> {
  return routed.adapter.dialect === "anthropic"
    ? passThrough(kit, call, body, routed, started)
    : translated(kit, call, body, routed, started);
}

/** Anthropic to Anthropic: the body as sent (route defaults, the route's model), the answer as received. */
async function passThrough(
  kit: PipelineKit,
  call: ModelCall,
  body: Readonly<Record<string, unknown>>,
  routed: RoutedCall,
  started: number,
): Promise<PipelineResponse> {
  const { route } = routed;
  const upstreamBody = applyRouteParams(body, route);
  const stream = upstreamBody.stream === true;
  const json = JSON.stringify(upstreamBody);
  const { response, report } = await kit.admitAndSend(call, "messages", routed, started, {
    json,
    stream,
    maxOutputTokens: maxTokensOf(upstreamBody),
    upstream: upstreamBody,
  });
  if (stream) {
    let usage: TokenUsage | null = null;
    let usageFinal = false;
    const tap = createAnthropicUsageTap({
      onUsage: (counts, final) => {
        usage = anthropicUsageToTokenUsage(counts);
        usageFinal = final;
      },
      redact: contentRedactorFor(call, route),
      redactError: kit.redactorFor(call, route),
      quotesKey: kit.keyQuoteCheckFor(call, route),
      failureEvent: anthropicFailureEvent,
      normalize: {
        fallbackModel: route.model,
        onRepair: (repair) => kit.onStreamRepair?.(route.provider, repair),
      },
    });
    return kit.relay(call, routed, response.body, tap, {
      usage: () => usage,
      usageFinal: () => usageFinal,
      requestJson: json,
      report,
    });
  }
  let text: string;
  let usage: TokenUsage | null = null;
  try {
    const read = await kit.readJson(response, routed, call.signal);
    // Relayed as received unless a string quotes a key in play, whole or masked: then redacted.
    text = redactWholeAnswer(read.text, read.parsed, secretsOf(call, route));
    const counts = readAnthropicUsage((read.parsed as { usage?: unknown } | null)?.usage);
    if (counts !== null) usage = anthropicUsageToTokenUsage(counts);
  } catch (error) {
    report({ stream: false, ...failureOf(error), usage: null });
    throw error;
  }
  return kit.answerWhole(route, report, { body: text, usage, requestJson: json });
}

/** Anthropic in, OpenAI-compatible upstream: the request translated, then the chat path's post-processing. */
async function translated(
  kit: PipelineKit,
  call: ModelCall,
  body: Readonly<Record<string, unknown>>,
  routed: RoutedCall,
  started: number,
): Promise<PipelineResponse> {
  const { route, adapter } = routed;
  const request = anthropicToOpenAiRequest(body, {
    model: route.model,
    maxTokensField: adapter.id === "openai" ? "max_completion_tokens" : "max_tokens",
  });
  if (!request.ok) throw withHeaders(translationError(request.error), kit.routeHeader(route));
  const upstreamBody = buildChatBody(request.value.body, route, adapter, kit.promptCacheFor(call));
  const { response, report } = await kit.admitAndSend(call, "messages", routed, started, upstreamBody);
  const model = typeof body.model === "string" ? body.model : route.model;
  if (upstreamBody.stream) {
    let usage: TokenUsage | null = null;
    const redact = kit.redactorFor(call, route);
    const translator = createOpenAiToAnthropicStream({
      model,
      // A provider's mid-stream error keeps its message, keys redacted, like any upstream error.
      describeFailure: (failure) => describeStreamFailure(failure, { provider: adapter.id, redact }),
      onUsage: (reported, complete) => {
        if (complete || reported.inputTokens + reported.outputTokens > 0) usage = reported;
      },
      // Tool calls held while another call's block is open count in the call's share of the answer memory.
      ...(call.answerShare === undefined ? {} : { held: call.answerShare }),
    });
    return kit.relay(
      call,
      routed,
      response.body,
      // Translated events that quote a key in play (generated text, tool arguments, any string) are redacted.
      createTranslateTransform(translator, anthropicFailureEvent, {
        quotesKey: keyQuoteTextCheckFor(call, route),
        redact: contentRedactorFor(call, route),
      }),
      {
        usage: () => usage,
        requestJson: upstreamBody.json,
        report,
      },
    );
  }
  let answer: string;
  let usage: TokenUsage | null;
  try {
    const { parsed } = await kit.readJson(response, routed, call.signal);
    if (normalizeChatCompletion(parsed, route.model) === "invalid") throw kit.shapeError(routed);
    usage = readOpenAiUsage((parsed as { usage?: unknown }).usage);
    const message = openAiToAnthropicResponse(parsed, { model });
    if (!message.ok) throw withHeaders(translationError(message.error, adapter.id), kit.routeHeader(route));
    answer = serializeTranslatedAnswer(message.value, secretsOf(call, route));
  } catch (error) {
    report({ stream: false, ...failureOf(error), usage: null });
    throw error;
  }
  return kit.answerWhole(route, report, { body: answer, usage, requestJson: upstreamBody.json });
}

import { type GatewayError, withHeaders } from "../errors/gateway-error.ts";
import {
  anthropicToOpenAiResponse,
  createAnthropicToOpenAiStream,
  createTranslateTransform,
  describeStreamFailure,
  openAiToAnthropicRequest,
  toGatewayError as translationError,
} from "../translate/index.ts";
import { toOpenAiErrorBody } from "../wire/openai/openai-error-body.ts";
import { readOpenAiUsage, type TokenUsage } from "../wire/openai/openai-usage.ts";
import { applyRouteParams } from "./build-upstream-body.ts";
import { contentRedactorFor, keyQuoteTextCheckFor, secretsOf } from "./call-secrets.ts";
import { failureOf, type PipelineKit, type RoutedCall } from "./create-pipeline-kit.ts";
import type { ModelCall, PipelineResponse } from "./pipeline-types.ts";
import { serializeTranslatedAnswer } from "./redact-whole-answer.ts";

export async function serveAnthropicChat(
  kit: PipelineKit,
  call: ModelCall,
  body: Readonly<Record<string, unknown>>,
  routed: RoutedCall,
  started: number,
): Promise<PipelineResponse> {
  const { route, adapter } = routed;
  const translated = openAiToAnthropicRequest(applyRouteParams(body, route), {
    model: route.model,
    cacheBreakpoints: route.promptCacheKey !== "off",
  });
  if (!translated.ok) throw withHeaders(translationError(translated.error), kit.routeHeader(route));
  const { body: request, jsonToolName, includeUsage } = translated.value;
  const stream = request.stream === true;
  const json = JSON.stringify(request);
  const { response, report } = await kit.admitAndSend(call, "chat", routed, started, {
    json,
    stream,
    maxOutputTokens: request.max_tokens,
    upstream: request as unknown as Readonly<Record<string, unknown>>,
  });

  if (stream) {
    let usage: TokenUsage | null = null;
    const redact = kit.redactorFor(call, route);
    const translator = createAnthropicToOpenAiStream({
      includeUsage,
      jsonToolName,
      onUsage: (reported) => {
        usage = reported;
      },
      // A provider's mid-stream error keeps its message, keys redacted, like any upstream error.
      describeFailure: (failure) => describeStreamFailure(failure, { provider: adapter.id, redact }),
    });
    const failureEvent = (failure: GatewayError) => `data: ${JSON.stringify(toOpenAiErrorBody(failure))}\n\n`;
    // Translated events that quote a key in play (generated text, tool arguments, any string) are redacted.
    const transform = createTranslateTransform(translator, failureEvent, {
      quotesKey: keyQuoteTextCheckFor(call, route),
      redact: contentRedactorFor(call, route),
    });
    return kit.relay(call, routed, response.body, transform, {
      usage: () => usage,
      requestJson: json,
      report,
    });
  }

  let answer: string;
  let usage: TokenUsage | null = null;
  try {
    const { parsed } = await kit.readJson(response, routed, call.signal);
    const completion = anthropicToOpenAiResponse(parsed, { jsonToolName, model: route.model });
    if (!completion.ok)
      throw withHeaders(translationError(completion.error, adapter.id), kit.routeHeader(route));
    answer = serializeTranslatedAnswer(completion.value, secretsOf(call, route));
    usage = readOpenAiUsage(completion.value.usage);
  } catch (error) {
    report({ stream: false, ...failureOf(error), usage: null });
    throw error;
  }
  return kit.answerWhole(route, report, { body: answer, usage, requestJson: json });
}

import { countDeltaText } from "../wire/openai/count-delta-text.ts";
import { createUsageTap } from "../wire/openai/create-usage-tap.ts";
import { normalizeChatCompletion } from "../wire/openai/normalize-chat-completion.ts";
import { toOpenAiErrorBody } from "../wire/openai/openai-error-body.ts";
import { readOpenAiUsage, type TokenUsage } from "../wire/openai/openai-usage.ts";
import { buildChatBody } from "./build-upstream-body.ts";
import { contentRedactorFor, secretsOf } from "./call-secrets.ts";
import { failureOf, type PipelineKit, type RoutedCall } from "./create-pipeline-kit.ts";
import type { ModelCall, PipelineResponse } from "./pipeline-types.ts";
import { redactWholeAnswer } from "./redact-whole-answer.ts";

export async function serveOpenAiChat(
  kit: PipelineKit,
  call: ModelCall,
  body: Readonly<Record<string, unknown>>,
  routed: RoutedCall,
  started: number,
): Promise<PipelineResponse> {
  const { route, adapter } = routed;
  const upstreamBody = buildChatBody(body, route, adapter, kit.promptCacheFor(call));
  const { response, report } = await kit.admitAndSend(call, "chat", routed, started, upstreamBody);

  if (upstreamBody.stream) {
    let usage: TokenUsage | null = null;
    let textBytes = 0;
    const tap = createUsageTap({
      stripUsageChunk: upstreamBody.stripUsageChunk,
      onUsage: (reported) => {
        usage = reported;
      },
      onText: (bytes) => {
        textBytes += bytes;
      },
      redact: contentRedactorFor(call, route),
      redactError: kit.redactorFor(call, route),
      quotesKey: kit.keyQuoteCheckFor(call, route),
      failureEvent: (failure) => `data: ${JSON.stringify(toOpenAiErrorBody(failure))}\n\n`,
      normalize: {
        fallbackModel: route.model,
        onRepair: (repair) => kit.onStreamRepair?.(route.provider, repair),
        now: kit.now,
      },
    });
    return kit.relay(call, routed, response.body, tap, {
      usage: () => usage,
      requestJson: upstreamBody.json,
      textBytes: () => textBytes,
      report,
    });
  }

  let text: string;
  let answer: string;
  let usage: TokenUsage | null;
  try {
    const read = await kit.readJson(response, routed, call.signal);
    text = read.text;
    const outcome = normalizeChatCompletion(read.parsed, route.model);
    if (outcome === "invalid") throw kit.shapeError(routed);
    // A conforming answer is relayed as the upstream's own text; only a normalized or redacted one is
    // re-serialized (a key in play, whole or masked, in any of its strings is redacted).
    const normalized = outcome === "unchanged" ? text : JSON.stringify(read.parsed);
    answer = redactWholeAnswer(normalized, read.parsed, secretsOf(call, route));
    usage = readOpenAiUsage((read.parsed as { usage?: unknown }).usage);
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

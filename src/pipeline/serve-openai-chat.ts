import { countDeltaText } from "../wire/openai/count-delta-text.ts";
import { createUsageTap } from "../wire/openai/create-usage-tap.ts";
import { normalizeChatCompletion } from "../wire/openai/normalize-chat-completion.ts";
import { toOpenAiErrorBody } from "../wire/openai/openai-error-body.ts";
import { readOpenAiUsage, type TokenUsage } from "../wire/openai/openai-usage.ts";
import { buildChatBody } from "./build-upstream-body.ts";
import { failureOf, type PipelineKit, type RoutedCall } from "./create-pipeline-kit.ts";
import { JSON_HEADERS, type ModelCall, type PipelineResponse } from "./pipeline-types.ts";

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
      redact: kit.redactorFor(call, route),
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

  let answer: string;
  let usage: TokenUsage | null;
  let estimated = false;
  try {
    const { text, parsed } = await kit.readJson(response.body, routed, call.signal);
    const outcome = normalizeChatCompletion(parsed, route.model);
    if (outcome === "invalid") throw kit.shapeError(routed);
    // A conforming answer is relayed as the upstream's own text; only a normalized one is re-serialized.
    answer = outcome === "unchanged" ? text : JSON.stringify(parsed);
    usage = readOpenAiUsage((parsed as { usage?: unknown }).usage);
    if (usage === null) {
      usage = kit.estimate(upstreamBody.json, countDeltaText(Buffer.from(text)));
      estimated = true;
    }
  } catch (error) {
    report({ stream: false, ...failureOf(error), usage: null });
    throw error;
  }
  report({ stream: false, status: 200, outcome: "ok", usage, estimated });
  return { status: 200, headers: { ...JSON_HEADERS, ...kit.routeHeader(route) }, body: answer };
}

/**
 * @module pipeline/serve-embeddings
 * Embeddings on an OpenAI-compatible route: float or base64 (encoded here when the upstream answers floats).
 */
import { encodeEmbeddingsBase64 } from "../wire/openai/encode-embeddings-base64.ts";
import { readOpenAiUsage } from "../wire/openai/openai-usage.ts";
import { buildEmbeddingsBody } from "./build-upstream-body.ts";
import { secretsOf } from "./call-secrets.ts";
import { failureOf, type PipelineKit, type RoutedCall } from "./create-pipeline-kit.ts";
import type { ModelCall, PipelineResponse } from "./pipeline-types.ts";
import { redactWholeAnswer } from "./redact-whole-answer.ts";

export async function serveEmbeddings(
  kit: PipelineKit,
  call: ModelCall,
  body: Readonly<Record<string, unknown>>,
  routed: RoutedCall,
  started: number,
): Promise<PipelineResponse> {
  const { route, adapter } = routed;
  const upstreamBody = buildEmbeddingsBody(body, route, adapter);
  const admission = await kit.admit(call, route, false, null, {
    requestJson: upstreamBody.json,
    generatesOutput: false,
  });
  const report = (outcome: Parameters<PipelineKit["report"]>[5]) =>
    kit.report(call, "embeddings", route, admission, started, outcome);
  let parsed: unknown;
  try {
    const response = await kit.send(call, routed, kit.pathOf(routed, "embeddings"), upstreamBody.json, false);
    ({ parsed } = await kit.readJson(response, routed, call.signal));
    if (upstreamBody.encodeBase64 && !encodeEmbeddingsBase64(parsed)) throw kit.shapeError(routed);
  } catch (error) {
    report({ stream: false, ...failureOf(error), usage: null });
    throw error;
  }
  const reported = readOpenAiUsage((parsed as { usage?: unknown } | null)?.usage);
  return kit.answerWhole(route, report, {
    // Any string of the answer (its model, an extension field) that quotes a key in play is redacted.
    body: redactWholeAnswer(JSON.stringify(parsed), parsed, secretsOf(call, route)),
    usage: reported,
    requestJson: upstreamBody.json,
  });
}

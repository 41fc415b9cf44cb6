/**
 * @module pipeline/answer-whole
 * A whole (non-streamed) answer's last step on every path: reported once with the provider's usage, else
 * with an estimate from the request and the answer's text (read only then), marked; returned as JSON.
 */
import { formatRouteHeader, type Route } from "../routing/index.ts";
import type { TokenUsage } from "../wire/openai/openai-usage.ts";
import { estimate } from "./estimate-usage.ts";
import type { CallOutcome } from "./pipeline-kit-types.ts";
import { JSON_HEADERS, type PipelineResponse } from "./pipeline-types.ts";

export interface WholeAnswer {
  readonly body: string;
  /** What the provider reported, or null (the call is then estimated). */
  readonly usage: TokenUsage | null;
  /** The upstream request, the basis of an estimate. */
  readonly requestJson: string;
  /** Bytes of generated text, the other basis: read only when the provider reported no usage. */
  readonly textBytes?: () => number;
}

export function answerWhole(
  route: Route,
  report: (outcome: CallOutcome) => void,
  answer: WholeAnswer,
): PipelineResponse {
  const { usage } = answer;
  report({
    stream: false,
    status: 200,
    outcome: "ok",
    usage: usage ?? estimate(answer.requestJson, answer.textBytes?.() ?? 0),
    estimated: usage === null,
  });
  return {
    status: 200,
    headers: { ...JSON_HEADERS, "x-byok-route": formatRouteHeader(route) },
    body: answer.body,
  };
}

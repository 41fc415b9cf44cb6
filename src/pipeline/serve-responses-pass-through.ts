/**
 * @module pipeline/serve-responses-pass-through
 * `POST /v1/responses` on an upstream that speaks the Responses API (OpenAI): the client's body with the
 * route's model and defaults, sent to the adapter's Responses path; a stream relayed byte for byte through
 * the Responses usage tap, an answer relayed as received (keys redacted from an error it carries).
 */
import { randomUUID } from "node:crypto";
import { GatewayError, withHeaders } from "../errors/gateway-error.ts";
import { createResponsesUsageTap } from "../wire/openai/create-responses-usage-tap.ts";
import { normalizeResponse } from "../wire/openai/normalize-response.ts";
import type { TokenUsage } from "../wire/openai/openai-usage.ts";
import { readResponsesUsage } from "../wire/openai/read-responses-usage.ts";
import { encodeResponsesFailure } from "../wire/openai/responses-error-event.ts";
import { isObject } from "../wire/openai/sse-event-check.ts";
import { buildResponsesBody } from "./build-responses-body.ts";
import { contentRedactorFor, secretsOf } from "./call-secrets.ts";
import { failureOf, type PipelineKit, type RoutedCall } from "./create-pipeline-kit.ts";
import type { ModelCall, PipelineResponse } from "./pipeline-types.ts";
import { redactWholeAnswer } from "./redact-whole-answer.ts";

/** A Response object, leniently: an object that says so, or carries an `output` list. */
const isResponse = (value: unknown): value is Record<string, unknown> =>
  isObject(value) && (value.object === "response" || Array.isArray(value.output));

export async function servePassThroughResponses(
  kit: PipelineKit,
  call: ModelCall,
  body: Readonly<Record<string, unknown>>,
  routed: RoutedCall,
  started: number,
): Promise<PipelineResponse> {
  const { route, adapter } = routed;
  // A connection that declares the Responses API (any OpenAI-dialect one) serves it at `/responses`.
  const path = adapter.responsesPath ?? (adapter.dialect === "openai" ? "/responses" : undefined);
  if (path === undefined) {
    throw withHeaders(
      new GatewayError("no_route", {
        message: `${adapter.id} does not speak the Responses API.`,
        param: "model",
      }),
      kit.routeHeader(route),
    );
  }
  const upstreamBody = buildResponsesBody(body, route, adapter, {
    promptCache: kit.promptCacheFor(call),
    allowStatefulOnOperatorKeys: kit.config.responses.allowStatefulOnOperatorKeys,
  });
  const { response, report } = await kit.admitAndSend(call, "responses", routed, started, {
    json: upstreamBody.json,
    stream: upstreamBody.stream,
    maxOutputTokens: upstreamBody.maxOutputTokens,
    upstream: upstreamBody.upstream,
    path,
  });

  if (upstreamBody.stream) {
    let usage: TokenUsage | null = null;
    let textBytes = 0;
    const tap = createResponsesUsageTap({
      onUsage: (reported) => {
        usage = reported;
      },
      onText: (bytes) => {
        textBytes += bytes;
      },
      redact: contentRedactorFor(call, route),
      redactError: kit.redactorFor(call, route),
      quotesKey: kit.keyQuoteCheckFor(call, route),
      failureEvent: encodeResponsesFailure,
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
    const { parsed } = read;
    if (!isResponse(parsed)) throw kit.shapeError(routed);
    // Metered as the upstream reported it, before a missing total or detail is filled for the client.
    usage = readResponsesUsage(parsed.usage);
    const outcome = normalizeResponse(parsed, {
      model: route.model,
      id: () => `resp_${randomUUID().replaceAll("-", "")}`,
      createdAt: () => Math.floor(kit.now() / 1000),
    });
    if (outcome === "invalid") throw kit.shapeError(routed);
    // Relayed as received (or as normalized) unless it may quote a key in play (an error, a `\u` escape, the
    // key whole or masked in any JSON form): then every string is redacted (pipeline/redact-whole-answer.ts).
    const normalized = outcome === "unchanged" ? text : JSON.stringify(parsed);
    answer = redactWholeAnswer(normalized, parsed, secretsOf(call, route));
  } catch (error) {
    report({ stream: false, ...failureOf(error), usage: null });
    throw error;
  }
  // No usage reported: the whole answer's size bounds its output text.
  return kit.answerWhole(route, report, {
    body: answer,
    usage,
    requestJson: upstreamBody.json,
    textBytes: () => Buffer.byteLength(text),
  });
}

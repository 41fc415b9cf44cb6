/**
 * @module pipeline/create-model-pipeline
 * The one ordered path of a model call: route → post-process → call upstream → relay (usage tap) or
 * normalize → report the served call. Every route, custom included, takes the same path.
 */
import type { Readable } from "node:stream";
import type { GatewayConfig } from "../config/config-schema.ts";
import {
  defaultEgressLimits,
  discard,
  isEgressError,
  toUpstreamFailure,
  type UpstreamBody,
  type UpstreamClient,
  type UpstreamTimeouts,
} from "../egress/index.ts";
import { GatewayError, isGatewayError, withHeaders } from "../errors/gateway-error.ts";
import type { ProviderId } from "../keys/provider-ids.ts";
import type { SecretKey } from "../keys/secret-key.ts";
import type { Admission, AdmissionControl } from "../metering/create-admission-control.ts";
import type { Operation, ProviderAdapter, ProviderRegistry } from "../providers/index.ts";
import {
  formatRouteHeader,
  type OperatorProvider,
  type Route,
  type RoutingTable,
  resolveRoute,
} from "../routing/index.ts";
import type { ByokContext } from "../validation/byok-context.ts";
import { countDeltaText, estimateTokens } from "../wire/openai/count-delta-text.ts";
import { createUsageTap } from "../wire/openai/create-usage-tap.ts";
import { encodeEmbeddingsBase64 } from "../wire/openai/encode-embeddings-base64.ts";
import { normalizeChatCompletion } from "../wire/openai/normalize-chat-completion.ts";
import { readOpenAiUsage, type TokenUsage } from "../wire/openai/openai-usage.ts";
import { buildChatBody, buildEmbeddingsBody } from "./build-upstream-body.ts";
import { listModels, type ModelList } from "./list-models.ts";
import { mapEgressFailure, mapErrorResponse } from "./map-upstream-failure.ts";
import { readRequestNeeds } from "./read-request-needs.ts";
import { relayStream } from "./relay-stream.ts";
import type { ServedCallSink } from "./served-call.ts";

export interface ModelCall {
  readonly userId: string;
  /** The user's plan (admin API or JWT claim), null for the default. */
  readonly plan: string | null;
  readonly byok: ByokContext;
  /** Aborted when the client goes away: the upstream call stops at once. */
  readonly signal: AbortSignal;
}

export interface PipelineResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Readable;
}

export interface ModelPipeline {
  chatCompletions(call: ModelCall, body: unknown): Promise<PipelineResponse>;
  embeddings(call: ModelCall, body: unknown): Promise<PipelineResponse>;
  /** The features and direct models this user can use right now. */
  listModels(byok: ByokContext): ModelList;
}

export interface ModelPipelineOptions {
  readonly config: GatewayConfig;
  readonly registry: ProviderRegistry;
  readonly upstream: UpstreamClient;
  /** Rate limits and quotas, before the upstream call. */
  readonly admission: AdmissionControl;
  readonly onServed: ServedCallSink;
  readonly now?: () => number;
}

const USER_AGENT = "byok-gateway";

function asObject(body: unknown, required: string): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new GatewayError("invalid_request", { message: "The request body must be a JSON object." });
  }
  const record = body as Record<string, unknown>;
  if (record[required] === undefined) {
    throw new GatewayError("invalid_request", { message: `\`${required}\` is required.`, param: required });
  }
  return record;
}

function buildRoutingTable(config: GatewayConfig, registry: ProviderRegistry): RoutingTable {
  const providers = new Map<ProviderId, OperatorProvider>();
  for (const [id, adapter] of registry) {
    const settings = config.providers[id];
    providers.set(id, {
      baseUrl: id === "custom" ? null : (settings?.baseUrl ?? adapter.defaultBaseUrl),
      key: id === "custom" ? null : (settings?.apiKey ?? null), // operator keys never go to a user URL
    });
  }
  return { features: config.features, allowDirect: config.routing.allowDirect, providers, registry };
}

/** The egress guard's limits (SPEC §7) for the custom endpoint, as defaults of `egress.timeouts`. */
const customEndpointTimeouts: UpstreamTimeouts = {
  connectMs: defaultEgressLimits.connectTimeoutMs,
  headersMs: defaultEgressLimits.headersTimeoutMs,
  bodyIdleMs: defaultEgressLimits.bodyIdleTimeoutMs,
  totalMs: defaultEgressLimits.totalTimeoutMs,
};

function timeoutsFor(config: GatewayConfig, route: Route): UpstreamTimeouts {
  const base = route.guarded ? customEndpointTimeouts : config.upstream.timeouts;
  const own = route.guarded ? config.egress.timeouts : config.providers[route.provider]?.timeouts;
  return {
    connectMs: own?.connectMs ?? base.connectMs,
    headersMs: own?.headersMs ?? base.headersMs,
    bodyIdleMs: own?.bodyIdleMs ?? base.bodyIdleMs,
    totalMs: own?.totalMs ?? base.totalMs,
  };
}

export function createModelPipeline(options: ModelPipelineOptions): ModelPipeline {
  const { config, registry, upstream, onServed, admission: admissionControl } = options;
  const now = options.now ?? Date.now;
  const table = buildRoutingTable(config, registry);

  const route = (call: ModelCall, operation: Operation, body: Record<string, unknown>) => {
    const needs = operation === "chat" ? readRequestNeeds(body) : [];
    const decision = resolveRoute(table, { model: body.model, operation, needs }, call.byok);
    if (!decision.ok) throw new GatewayError(decision.error, { message: decision.message, param: "model" });
    const adapter = registry.get(decision.route.provider);
    if (adapter === undefined) throw new GatewayError("internal_error");
    return { route: decision.route, adapter };
  };

  /** Every key in play, for redacting upstream text. */
  const secretsOf = (call: ModelCall, route: Route): SecretKey[] => [
    route.key,
    ...(Object.values(call.byok.keys) as SecretKey[]),
  ];

  async function send(
    call: ModelCall,
    route: Route,
    adapter: ProviderAdapter,
    operation: Operation,
    json: string,
    stream: boolean,
  ) {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      accept: stream ? "text/event-stream" : "application/json",
      "accept-encoding": "identity",
      "user-agent": USER_AGENT,
      ...adapter.authHeaders(route.key),
    };
    try {
      const response = await upstream.send({
        url: `${route.baseUrl.replace(/\/+$/, "")}${adapter.paths[operation]}`,
        guarded: route.guarded,
        method: "POST",
        headers,
        body: json,
        timeouts: timeoutsFor(config, route),
        signal: call.signal,
      });
      const encoding = response.headers["content-encoding"];
      if (encoding !== undefined && encoding !== "identity") {
        discard(response.body);
        throw new GatewayError("upstream_error", {
          provider: adapter.id,
          message: `${adapter.id}: the response used an unsupported content-encoding.`,
        });
      }
      if (response.status >= 400) {
        const text = await response.body.text().catch(() => "");
        const retryAfter = response.headers["retry-after"];
        throw mapErrorResponse(
          {
            status: response.status,
            text,
            retryAfter: typeof retryAfter === "string" ? retryAfter : null,
            source: route.source,
          },
          adapter,
          secretsOf(call, route),
        );
      }
      return response;
    } catch (error) {
      throw toGatewayError(error, adapter, route, call.signal);
    }
  }

  /** Upstream failures become gateway errors naming the route; a client's own abort passes unchanged. */
  const toGatewayError = (
    error: unknown,
    adapter: ProviderAdapter,
    route: Route,
    signal: AbortSignal,
  ): unknown => {
    const routeHeader = { "x-byok-route": formatRouteHeader(route) };
    if (isGatewayError(error)) return withHeaders(error, routeHeader);
    if (signal.aborted) return error;
    const failure = isEgressError(error) ? error : toUpstreamFailure(error);
    return withHeaders(mapEgressFailure(failure, adapter, route.guarded), routeHeader);
  };

  const admit = async (call: ModelCall, route: Route, stream: boolean, maxOutputTokens: number | null) => {
    try {
      return await admissionControl.admit({
        userId: call.userId,
        plan: call.plan,
        feature: route.feature,
        source: route.source,
        stream,
        maxOutputTokens,
      });
    } catch (error) {
      throw isGatewayError(error) ? withHeaders(error, { "x-byok-route": formatRouteHeader(route) }) : error;
    }
  };

  /** Reports the finished call once: settles its admission and hands it to metering. */
  const report = (
    call: ModelCall,
    operation: Operation,
    route: Route,
    admission: Admission,
    started: number,
    details: {
      stream: boolean;
      status: number;
      outcome: string;
      usage: TokenUsage | null;
      estimated?: boolean;
    },
  ) => {
    const { usage } = details;
    admission.settle(
      usage === null
        ? null
        : { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, audioSeconds: 0 },
      details.status < 400,
    );
    onServed({
      userId: call.userId,
      operation,
      route,
      latencyMs: now() - started,
      estimated: false,
      ...details,
    });
  };

  /** Tokens from the text seen, for a call the provider reported no usage for. */
  const estimate = (requestJson: string, textBytes: number): TokenUsage => ({
    inputTokens: estimateTokens(requestJson.length),
    outputTokens: estimateTokens(textBytes),
    cachedInputTokens: 0,
  });

  return {
    async chatCompletions(call, rawBody): Promise<PipelineResponse> {
      const started = now();
      const body = asObject(rawBody, "messages");
      const { route: chosen, adapter } = route(call, "chat", body);
      const upstreamBody = buildChatBody(body, chosen, adapter, call.userId);
      const routeHeader = formatRouteHeader(chosen);
      const admission = await admit(call, chosen, upstreamBody.stream, upstreamBody.maxOutputTokens);
      let response: Awaited<ReturnType<typeof send>>;
      try {
        response = await send(call, chosen, adapter, "chat", upstreamBody.json, upstreamBody.stream);
      } catch (error) {
        const status = isGatewayError(error) ? error.status : 499;
        const outcome = isGatewayError(error) ? error.type : "client_aborted";
        report(call, "chat", chosen, admission, started, {
          stream: upstreamBody.stream,
          status,
          outcome,
          usage: null,
        });
        throw error;
      }

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
        });
        const body = relayStream(response.body, tap, {
          signal: call.signal,
          mapFailure: (error) => mapEgressFailure(toUpstreamFailure(error), adapter, chosen.guarded),
          onEnd: (outcome) =>
            report(call, "chat", chosen, admission, started, {
              stream: true,
              status: 200,
              outcome,
              // Cut off (or a provider that reports none): the tokens seen so far, estimated and marked.
              usage: usage ?? estimate(upstreamBody.json, textBytes),
              estimated: usage === null,
            }),
        });
        return {
          status: 200,
          headers: {
            "content-type": "text/event-stream; charset=utf-8",
            "cache-control": "no-cache",
            "x-byok-route": routeHeader,
          },
          body,
        };
      }

      let answer: string;
      let usage: TokenUsage | null;
      let estimated = false;
      try {
        const { text, parsed } = await readJson(response.body, adapter, chosen, call.signal);
        const outcome = normalizeChatCompletion(parsed, chosen.model);
        if (outcome === "invalid") throw upstreamShapeError(adapter, chosen);
        // A conforming answer is relayed as the upstream's own text; only a normalized one is re-serialized.
        answer = outcome === "unchanged" ? text : JSON.stringify(parsed);
        usage = readOpenAiUsage((parsed as { usage?: unknown }).usage);
        if (usage === null) {
          usage = estimate(upstreamBody.json, countDeltaText(Buffer.from(text)));
          estimated = true;
        }
      } catch (error) {
        const status = isGatewayError(error) ? error.status : 499;
        const outcome = isGatewayError(error) ? error.type : "client_aborted";
        report(call, "chat", chosen, admission, started, { stream: false, status, outcome, usage: null });
        throw error;
      }
      report(call, "chat", chosen, admission, started, {
        stream: false,
        status: 200,
        outcome: "ok",
        usage,
        estimated,
      });
      return {
        status: 200,
        headers: { "content-type": "application/json; charset=utf-8", "x-byok-route": routeHeader },
        body: answer,
      };
    },

    async embeddings(call, rawBody): Promise<PipelineResponse> {
      const started = now();
      const body = asObject(rawBody, "input");
      const { route: chosen, adapter } = route(call, "embeddings", body);
      const upstreamBody = buildEmbeddingsBody(body, chosen, adapter);
      const admission = await admit(call, chosen, false, null);
      let parsed: unknown;
      try {
        const response = await send(call, chosen, adapter, "embeddings", upstreamBody.json, false);
        ({ parsed } = await readJson(response.body, adapter, chosen, call.signal));
        if (upstreamBody.encodeBase64 && !encodeEmbeddingsBase64(parsed))
          throw upstreamShapeError(adapter, chosen);
      } catch (error) {
        const status = isGatewayError(error) ? error.status : 499;
        const outcome = isGatewayError(error) ? error.type : "client_aborted";
        report(call, "embeddings", chosen, admission, started, {
          stream: false,
          status,
          outcome,
          usage: null,
        });
        throw error;
      }
      const reported = readOpenAiUsage((parsed as { usage?: unknown } | null)?.usage);
      report(call, "embeddings", chosen, admission, started, {
        stream: false,
        status: 200,
        outcome: "ok",
        usage: reported ?? estimate(upstreamBody.json, 0),
        estimated: reported === null,
      });
      return {
        status: 200,
        headers: {
          "content-type": "application/json; charset=utf-8",
          "x-byok-route": formatRouteHeader(chosen),
        },
        body: JSON.stringify(parsed),
      };
    },

    listModels: (byok) => listModels(table, byok, Math.floor(now() / 1000)),
  };

  async function readJson(body: UpstreamBody, adapter: ProviderAdapter, chosen: Route, signal: AbortSignal) {
    let text: string;
    try {
      text = await body.text();
    } catch (error) {
      throw toGatewayError(error, adapter, chosen, signal);
    }
    try {
      return { text, parsed: JSON.parse(text) as unknown };
    } catch {
      throw upstreamShapeError(adapter, chosen);
    }
  }
}

function upstreamShapeError(adapter: ProviderAdapter, route: Route): GatewayError {
  return new GatewayError("upstream_error", {
    provider: adapter.id,
    message: `${adapter.id}: the response is not a valid OpenAI-compatible answer.`,
    headers: { "x-byok-route": formatRouteHeader(route) },
  });
}

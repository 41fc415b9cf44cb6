/**
 * @module pipeline/create-pipeline-kit
 * The steps every served path shares, in order: parse the body's shape, resolve the route, admit it,
 * send upstream (errors mapped, keys redacted), read a whole answer, report the finished call.
 */

import {
  discard,
  isEgressError,
  readErrorText,
  toUpstreamFailure,
  type UpstreamBody,
  type UpstreamResponse,
} from "../egress/index.ts";
import { GatewayError, isGatewayError, withHeaders } from "../errors/gateway-error.ts";
import type { Admission, AdmissionRequest } from "../metering/create-admission-control.ts";
import type { Operation } from "../providers/index.ts";
import { revealConnectionHeaders } from "../providers/reveal-connection-headers.ts";
import { NO_BREAKERS } from "../resilience/index.ts";
import { formatRouteHeader, type Route } from "../routing/index.ts";
import type { RelayTransform } from "../wire/create-relay-transform.ts";
import { estimateTokens } from "../wire/openai/count-delta-text.ts";
import { MAX_UPSTREAM_JSON_DEPTH, parseUpstreamJson } from "../wire/parse-upstream-json.ts";
import { answerWhole } from "./answer-whole.ts";
import { statusFailure, tagAttemptFailure, transportFailureOf } from "./attempt-failure.ts";
import { createPromptCacheSecret, type PromptCacheBinding } from "./bind-prompt-cache-key.ts";
import { buildRoutingTable, buildUpstreamPools, timeoutsFor } from "./build-routing-table.ts";
import { keyQuoteCheckFor, redactorFor, secretsOf } from "./call-secrets.ts";
import { chargeAtReservation } from "./charge-at-reservation.ts";
import { countMediaParts } from "./count-media-parts.ts";
import { estimate } from "./estimate-usage.ts";
import { mapEgressFailure, mapErrorResponse } from "./map-upstream-failure.ts";
import type { PipelineKitOptions } from "./pipeline-kit-options.ts";
import { type ModelCall, type PipelineResponse, SSE_HEADERS } from "./pipeline-types.ts";
import { relayStream } from "./relay-stream.ts";
import { createRouteCall, type RoutedCall } from "./route-call.ts";
import { failureOf, type ServedOperation } from "./served-call.ts";
import { upstreamPath } from "./upstream-path.ts";

export { buildRoutingTable } from "./build-routing-table.ts";
export { asObject } from "./parse-json-object.ts";
export type { PipelineKitOptions } from "./pipeline-kit-options.ts";
export type { RoutedCall } from "./route-call.ts";
export { failureOf } from "./served-call.ts";

import type { CallOutcome, RelayedStream, UpstreamRequest } from "./pipeline-kit-types.ts";

export type { CallOutcome, RelayedStream, UpstreamRequest } from "./pipeline-kit-types.ts";

const USER_AGENT = "byok-gateway";

/** The operations that generate output: a client cut before their usage is charged the reservation. */
const GENERATING: ReadonlySet<ServedOperation> = new Set(["chat", "messages", "responses"]);

const DIALECT_NAMES = { openai: "OpenAI-compatible", anthropic: "Anthropic", deepgram: "Deepgram" } as const;

export function createPipelineKit(options: PipelineKitOptions) {
  const { config, registry, upstream, onServed, admission: admissionControl } = options;
  const now = options.now ?? Date.now;
  const table = buildRoutingTable(config, registry, { now, ...options.keyPools });
  const upstreamPools = buildUpstreamPools(config);
  const promptCacheSecret = createPromptCacheSecret(options.promptCacheKeys);

  /** The requests outside the open-call registry whose rate-limit hit was taken (by their first admission). */
  const rateHitTaken = new WeakSet<ModelCall>();

  const routeHeader = (route: Route) => ({ "x-byok-route": formatRouteHeader(route) });

  /**
   * Upstream failures become gateway errors naming the route; a client's own abort passes unchanged; a
   * cut call (revocation, shutdown: the signal's reason is a GatewayError) fails with the cut's error.
   */
  const toGatewayError = (error: unknown, routed: RoutedCall, signal: AbortSignal): unknown => {
    if (isGatewayError(error)) return withHeaders(error, routeHeader(routed.route));
    if (signal.aborted) {
      return isGatewayError(signal.reason) ? withHeaders(signal.reason, routeHeader(routed.route)) : error;
    }
    const failure = isEgressError(error) ? error : toUpstreamFailure(error);
    return withHeaders(
      mapEgressFailure(failure, routed.adapter, routed.route.guarded),
      routeHeader(routed.route),
    );
  };

  /** An answer that is not the dialect's shape. */
  const shapeError = ({ adapter, route }: RoutedCall): GatewayError =>
    new GatewayError("upstream_error", {
      provider: adapter.id,
      message: `${adapter.id}: the response is not a valid ${DIALECT_NAMES[adapter.dialect]} answer.`,
      headers: routeHeader(route),
    });

  /** Sends `body` (text, or a stream sent once) upstream with the route's key; a 2xx response or a gateway error. */
  async function sendBody(
    call: ModelCall,
    routed: RoutedCall,
    request: UpstreamRequest,
  ): Promise<UpstreamResponse> {
    const { route, adapter } = routed;
    // Filled in place, in the same order as before (later names win): no spread copies per request.
    const headers: Record<string, string> = {
      "content-type": request.contentType,
      accept: request.accept,
      "accept-encoding": "identity",
      "user-agent": USER_AGENT,
    };
    if (request.contentLength !== undefined) headers["content-length"] = String(request.contentLength);
    revealConnectionHeaders(route.headers, headers); // the connection's (none for custom); never the key's
    const auth = adapter.authHeaders(route.key);
    for (const name in auth) headers[name] = auth[name]!;
    try {
      const response = await upstream.send({
        url: `${route.baseUrl.endsWith("/") ? route.baseUrl.replace(/\/+$/, "") : route.baseUrl}${request.path}`,
        guarded: route.guarded,
        method: "POST",
        headers,
        body: request.body,
        timeouts: timeoutsFor(config, route),
        signal: call.signal,
        pool: upstreamPools.get(route.connection),
        whole: request.whole === true,
        held: call.answerShare,
      });
      const encoding = response.headers["content-encoding"];
      if (encoding !== undefined && encoding !== "identity") {
        if (response.whole === undefined) discard(response.body);
        else response.whole.discard();
        throw new GatewayError("upstream_error", {
          provider: adapter.id,
          message: `${adapter.id}: the response used an unsupported content-encoding.`,
        });
      }
      if (response.status >= 400) {
        // At most MAX_ERROR_BODY_BYTES of it is held: a longer body keeps its status with a generic message.
        const text =
          response.whole === undefined
            ? await readErrorText(response.body)
            : await response.whole.text().catch(() => "");
        const retryAfter = response.headers["retry-after"];
        const answered = {
          status: response.status,
          text,
          retryAfter: typeof retryAfter === "string" ? retryAfter : null,
          source: route.source,
        };
        // Every key in play is redacted from the provider's text; the attempt loop reads the tag.
        throw tagAttemptFailure(
          mapErrorResponse(answered, adapter, secretsOf(call, route)),
          statusFailure(answered.status, route.source, answered.retryAfter),
        );
      }
      return response;
    } catch (error) {
      const mapped = toGatewayError(error, routed, call.signal);
      const transport =
        isGatewayError(mapped) && mapped !== error
          ? transportFailureOf(error, call.signal, request.accept === "text/event-stream")
          : undefined;
      throw transport === undefined ? mapped : tagAttemptFailure(mapped as GatewayError, transport);
    }
  }

  const kit = {
    config,
    now,
    table,
    routeHeader,
    toGatewayError,
    shapeError,
    /** The time limits of calls on this route (the provider's, or the egress guard's for custom). */
    timeoutsOf: (route: Route) => timeoutsFor(config, route),
    /** Every key in play for a call: what upstream text is redacted of. */
    secretsOf,

    /** The path (query included) of `operation` under the route's base URL (pipeline/upstream-path.ts). */
    pathOf: (routed: RoutedCall, operation: Operation) => upstreamPath(table, routed, operation),

    /** Resolves the routes for this call (the first with its adapter), or the routing error (route-call.ts). */
    route: createRouteCall(table),
    breakers: options.breakers ?? NO_BREAKERS,
    onAttempt: options.onAttempt,

    async admit(
      call: ModelCall,
      route: Route,
      stream: boolean,
      maxOutputTokens: number | null,
      tokens?: {
        readonly requestJson: string;
        readonly generatesOutput: boolean;
        /** The request's `n`: choices generated, each up to `maxOutputTokens` (1 when absent). */
        readonly choices?: number;
        /** The upstream request as an object, when it may carry media parts (chat, messages). */
        readonly upstream?: Readonly<Record<string, unknown>>;
      },
    ): Promise<Admission> {
      // One requests-per-minute hit per request: a retry or fallback attempt admits without one (kept on
      // the open call; a call admitted outside the registry is remembered here).
      const takesRateHit =
        call.openCall !== undefined ? call.openCall.takeRateHit() : !rateHitTaken.has(call);
      if (call.openCall === undefined) rateHitTaken.add(call);
      const request: { -readonly [K in keyof AdmissionRequest]: AdmissionRequest[K] } = {
        userId: call.userId,
        plan: call.plan,
        feature: route.feature,
        source: route.source,
        stream,
        maxOutputTokens,
        signal: call.signal,
        takesRateHit,
      };
      if (tokens !== undefined) {
        // Input reserved from the upstream request's UTF-8 size, on the basis of every estimate,
        // plus a floor per media part (an image by URL costs far more than its few bytes).
        request.estimateInputTokens = () =>
          estimateTokens(Buffer.byteLength(tokens.requestJson)) +
          (tokens.upstream === undefined ? 0 : countMediaParts(tokens.upstream)) *
            config.metering.mediaPartInputTokens;
        request.generatesOutput = tokens.generatesOutput;
        if (tokens.choices !== undefined) request.choices = tokens.choices;
      }
      try {
        return await admissionControl.admit(request);
      } catch (error) {
        throw isGatewayError(error) ? withHeaders(error, routeHeader(route)) : error;
      }
    },

    /** Sends the body to `path` under the route's base URL with the route's key; a 2xx response or a gateway error. */
    send(call: ModelCall, routed: RoutedCall, path: string, json: string, stream: boolean) {
      return sendBody(call, routed, {
        path,
        body: json,
        contentType: "application/json",
        accept: stream ? "text/event-stream" : "application/json",
        whole: !stream,
      });
    },

    sendBody,

    /**
     * A whole answer as text and parsed JSON; one nested deeper than MAX_UPSTREAM_JSON_DEPTH is refused
     * before it is parsed (`502 upstream_error`, code `invalid_upstream_body`).
     */
    async readJson(response: UpstreamResponse, routed: RoutedCall, signal: AbortSignal) {
      let text: string;
      try {
        text = await (response.whole ?? response.body).text();
      } catch (error) {
        throw toGatewayError(error, routed, signal);
      }
      const parsed = parseUpstreamJson(text);
      if (parsed.ok) return { text, parsed: parsed.value };
      if (parsed.reason === "invalid") throw shapeError(routed);
      throw new GatewayError("upstream_error", {
        provider: routed.adapter.id,
        message: `${routed.adapter.id}: the response nests deeper than ${MAX_UPSTREAM_JSON_DEPTH} levels.`,
        code: "invalid_upstream_body",
        headers: routeHeader(routed.route),
      });
    },

    /**
     * A chat-path call's start: admits it, sends its body to the route's chat path, and returns the
     * response with the reporter for the rest of the call; a refused or failed send is reported here.
     */
    async admitAndSend(
      call: ModelCall,
      operation: ServedOperation,
      routed: RoutedCall,
      started: number,
      request: {
        readonly json: string;
        readonly stream: boolean;
        readonly maxOutputTokens: number | null;
        readonly choices?: number;
        readonly upstream?: Readonly<Record<string, unknown>>;
        /** The path under the route's base URL; the adapter's chat path by default. */
        readonly path?: string;
      },
    ) {
      const { route } = routed;
      // The request's own fields, read by the same names (choices and upstream may be absent).
      const admission = await kit.admit(call, route, request.stream, request.maxOutputTokens, {
        requestJson: request.json,
        generatesOutput: true,
        choices: request.choices,
        upstream: request.upstream,
      });
      const report = (outcome: CallOutcome) =>
        kit.report(call, operation, route, admission, started, outcome);
      try {
        const response = await sendBody(call, routed, {
          path: request.path ?? kit.pathOf(routed, "chat"),
          body: request.json,
          contentType: "application/json",
          accept: request.stream ? "text/event-stream" : "application/json",
          whole: !request.stream,
        });
        return { response, report };
      } catch (error) {
        report({ stream: request.stream, ...failureOf(error), usage: null });
        throw error;
      }
    },

    /** Reports the finished call once: settles its admission and hands it to metering. */
    report(
      call: ModelCall,
      operation: ServedOperation,
      route: Route,
      admission: Admission,
      started: number,
      reported: CallOutcome,
    ) {
      // A generating call its client cut before the provider's final usage (a stream, or a whole answer
      // still being generated, or one not yet answered) is charged its reservation on the operator's key.
      const cut =
        reported.cutByClient === true ||
        (reported.outcome === "client_aborted" && reported.usage === null && GENERATING.has(operation));
      const outcome = cut ? chargeAtReservation(reported, admission) : reported;
      const { usage } = outcome;
      const audioSeconds = outcome.audioSeconds ?? null;
      admission.settle(
        usage === null && audioSeconds === null
          ? null
          : {
              inputTokens: usage?.inputTokens ?? 0,
              outputTokens: usage?.outputTokens ?? 0,
              audioSeconds: audioSeconds ?? 0,
            },
        outcome.status < 400,
      );
      const { cutByClient: _, ...served } = outcome;
      onServed({
        userId: call.userId,
        operation,
        route,
        latencyMs: now() - started,
        estimated: false,
        ...served,
        audioSeconds,
      });
    },

    /**
     * Relays an upstream stream through `transform` (a usage tap or a translator) and reports the call
     * once when it ends: with the usage the transform read, else estimated from the request and the text
     * seen (a stream cut off before the provider reported usage), marked estimated; a stream its client
     * cut before usage was reported is charged its reservation instead when operator-served (`report`).
     */
    relay(
      call: ModelCall,
      routed: RoutedCall,
      body: UpstreamBody,
      transform: RelayTransform,
      stream: RelayedStream,
    ): PipelineResponse {
      const { route, adapter } = routed;
      const relayed = relayStream(body, transform, {
        signal: call.signal,
        mapFailure: (error) => mapEgressFailure(toUpstreamFailure(error), adapter, route.guarded),
        ...(options.onStreamFault === undefined ? {} : { onFault: options.onStreamFault }),
        onEnd: (outcome) => {
          const usage = stream.usage();
          stream.report({
            stream: true,
            status: 200,
            outcome,
            usage: usage ?? estimate(stream.requestJson, stream.textBytes?.() ?? 0),
            estimated: usage === null,
            ...(outcome === "client_aborted" && (usage === null || stream.usageFinal?.() === false)
              ? { cutByClient: true }
              : {}),
          });
        },
      });
      return { status: 200, headers: { ...SSE_HEADERS, ...routeHeader(route) }, body: relayed };
    },

    /** A whole answer's last step: reported once, returned as JSON naming the route (answer-whole.ts). */
    answerWhole,

    keyQuoteCheckFor,
    redactorFor,
    onStreamRepair: options.onStreamRepair,
    /** The caller and the secret its prompt-cache key is bound with. */
    promptCacheFor: (call: ModelCall): PromptCacheBinding => ({
      userId: call.userId,
      secret: promptCacheSecret,
    }),
  };
  return kit;
}

export type PipelineKit = ReturnType<typeof createPipelineKit>;

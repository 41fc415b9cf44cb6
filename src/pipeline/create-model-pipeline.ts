/**
 * @module pipeline/create-model-pipeline
 * The one ordered path of a model call: parse and check the ingress's contract → route → admit → call upstream → relay, translate or
 * normalize → report. Every route, custom included, takes the same steps (create-pipeline-kit.ts);
 * the dialects differ only in how a body is built and an answer relayed.
 */

import { GatewayError, withHeaders } from "../errors/gateway-error.ts";
import { previewRoutes, type RoutePreview } from "../routing/index.ts";
import type { ByokContext } from "../validation/byok-context.ts";
import { checkCountTokensRequest, checkMessagesRequest } from "../wire/anthropic/check-messages-request.ts";
import { checkChatRequest } from "../wire/openai/check-chat-request.ts";
import { checkEmbeddingsRequest } from "../wire/openai/check-embeddings-request.ts";
import { checkResponsesRequest } from "../wire/openai/check-responses-request.ts";
import { createOpenCalls, type OpenCalls } from "./create-open-calls.ts";
import {
  asObject,
  createPipelineKit,
  type PipelineKit,
  type PipelineKitOptions,
  type RoutedCall,
} from "./create-pipeline-kit.ts";
import { listModels, type ModelEntry, type ModelList } from "./list-models.ts";
import { type LiveSession, openLiveSession } from "./open-live-session.ts";
import type { ModelCall, PipelineResponse } from "./pipeline-types.ts";
import { JSON_HEADERS } from "./pipeline-types.ts";
import { readMessagesNeeds } from "./read-messages-needs.ts";
import { readRequestNeeds } from "./read-request-needs.ts";
import { readResponsesNeeds } from "./read-responses-needs.ts";
import { refuseKeyAsModel } from "./refuse-key-as-model.ts";
import {
  abandonLiveSession,
  type LiveRelay,
  type LiveRelayOptions,
  type LiveSocket,
  relayLiveSession,
} from "./relay-live-session.ts";
import { retrieveModel } from "./retrieve-model.ts";
import { serveAnthropicChat } from "./serve-anthropic-chat.ts";
import { serveAttempts } from "./serve-attempts.ts";
import { serveEmbeddings } from "./serve-embeddings.ts";
import { serveMessages } from "./serve-messages.ts";
import { serveOpenAiChat } from "./serve-openai-chat.ts";
import { type ListenUpload, servePrerecorded } from "./serve-prerecorded.ts";
import { serveResponses } from "./serve-responses.ts";

export type { ModelCall, PipelineResponse } from "./pipeline-types.ts";

export interface ModelPipeline {
  chatCompletions(call: ModelCall, body: unknown): Promise<PipelineResponse>;
  /** Anthropic's Messages API, on any route (passed through to Anthropic, translated elsewhere). */
  messages(call: ModelCall, body: unknown): Promise<PipelineResponse>;
  /** OpenAI's Responses API, on any chat route (passed through where the upstream speaks it, translated elsewhere). */
  responses(call: ModelCall, body: unknown): Promise<PipelineResponse>;
  /** Anthropic's token counting, on routes whose provider answers it. */
  countTokens(call: ModelCall, body: unknown): Promise<PipelineResponse>;
  embeddings(call: ModelCall, body: unknown): Promise<PipelineResponse>;
  /** The features and direct models this user can use right now. */
  listModels(byok: ByokContext): ModelList;
  /** One model of that list by id (the same object), or `model_not_found`. */
  retrieveModel(byok: ByokContext, id: string): ModelEntry;
  /** `GET /v1/byok/routes`: each feature's route with these keys, by the same resolver as model calls. */
  previewRoutes(byok: ByokContext): RoutePreview;
  /** Prerecorded speech-to-text (`POST /v1/listen`): the upload streamed to the provider. */
  transcribe(call: ModelCall, query: URLSearchParams, upload: ListenUpload): Promise<PipelineResponse>;
  /** A live speech-to-text session, opened upstream (or refused) before the client's socket is accepted. */
  openLive(call: ModelCall, query: URLSearchParams): Promise<LiveSession>;
  /** Relays an opened session with the client's socket until either side ends it. */
  relayLive(session: LiveSession, client: LiveSocket, options?: Partial<LiveRelayOptions>): LiveRelay;
  /** Closes an opened session whose client left before its socket was accepted. */
  abandonLive(session: LiveSession): void;
  /** The calls in flight (revocation and shutdown cut them). */
  readonly openCalls: OpenCalls;
}

export interface ModelPipelineOptions extends PipelineKitOptions {
  /** The registry of calls in flight; a new one by default. */
  readonly openCalls?: OpenCalls;
}

/**
 * The ingress's request contract, before routing: a spec-forbidden shape is refused the same way on every
 * route, and costs no upstream call.
 */
function checked(
  body: Record<string, unknown>,
  check: (body: Readonly<Record<string, unknown>>) => GatewayError | null,
): Record<string, unknown> {
  const refused = check(body);
  if (refused !== null) throw refused;
  return body;
}

/**
 * Runs one call registered as open: its upstream signal ends on the client's abort or a cut, and it
 * leaves the registry when its answer is written (a text) or its stream closes.
 */
async function runOpen(
  openCalls: OpenCalls,
  call: ModelCall,
  serve: (call: ModelCall) => Promise<PipelineResponse>,
): Promise<PipelineResponse> {
  // A promise only when the caller's user must be read again (after a resync): no await otherwise.
  const opened = openCalls.openChecked(call, call.signal, call.controller, call.marks);
  const openCall = opened instanceof Promise ? await opened : opened;
  try {
    const response = await serve({ ...call, signal: openCall.signal, openCall });
    const { body } = response;
    if (typeof body === "string" || body.closed) openCall.close();
    else body.once("close", () => openCall.close());
    return response;
  } catch (error) {
    openCall.close();
    throw error;
  }
}

/** Anthropic's token counting on one route: free and not metered, the route's key all the same. */
async function countTokens(
  kit: PipelineKit,
  call: ModelCall,
  body: Readonly<Record<string, unknown>>,
  routed: RoutedCall,
): Promise<PipelineResponse> {
  const path = routed.adapter.countTokensPath;
  if (path === undefined) {
    throw withHeaders(
      new GatewayError("invalid_request", {
        message: `Token counting is answered by Anthropic routes only; this request routes to ${routed.adapter.id}.`,
        code: "count_tokens_unsupported",
        param: "model",
      }),
      kit.routeHeader(routed.route),
    );
  }
  // Counting costs nothing and is not metered; the key still must be the route's.
  const upstreamBody = JSON.stringify({ ...body, model: routed.route.model });
  const response = await kit.send(call, routed, path, upstreamBody, false);
  const { text } = await kit.readJson(response, routed, call.signal);
  return { status: 200, headers: { ...JSON_HEADERS, ...kit.routeHeader(routed.route) }, body: text };
}

export function createModelPipeline(options: ModelPipelineOptions): ModelPipeline {
  const kit = createPipelineKit(options);
  const openCalls = options.openCalls ?? createOpenCalls();
  const pipeline: Omit<ModelPipeline, "openCalls"> = {
    async chatCompletions(call, rawBody) {
      const started = kit.now();
      const body = checked(asObject(rawBody, "messages"), checkChatRequest);
      const planned = kit.route(call, "chat", body.model, readRequestNeeds(body), "chat");
      // A plan may mix dialects: each attempt serves its own route's.
      return serveAttempts(kit, call, planned, started, (routed) =>
        routed.adapter.dialect === "anthropic"
          ? serveAnthropicChat(kit, call, body, routed, started)
          : serveOpenAiChat(kit, call, body, routed, started),
      );
    },
    async messages(call, rawBody) {
      const started = kit.now();
      const body = checked(asObject(rawBody, "messages"), checkMessagesRequest);
      const planned = kit.route(call, "chat", body.model, readMessagesNeeds(body), "messages");
      return serveAttempts(kit, call, planned, started, (routed) =>
        serveMessages(kit, call, body, routed, started),
      );
    },
    async responses(call, rawBody) {
      const started = kit.now();
      const body = checked(asObject(rawBody, "input"), checkResponsesRequest);
      // Any chat route serves it: passed through, or translated (pipeline/serve-responses.ts).
      const planned = kit.route(call, "chat", body.model, readResponsesNeeds(body), "responses");
      return serveAttempts(kit, call, planned, started, (routed) =>
        serveResponses(kit, call, body, routed, started),
      );
    },
    async countTokens(call, rawBody) {
      const started = kit.now();
      const body = checked(asObject(rawBody, "messages"), checkCountTokensRequest);
      const planned = kit.route(call, "chat", body.model, [], "messages");
      return serveAttempts(kit, call, planned, started, (routed) => countTokens(kit, call, body, routed));
    },
    async embeddings(call, rawBody) {
      const started = kit.now();
      const body = checked(asObject(rawBody, "input"), checkEmbeddingsRequest);
      const planned = kit.route(call, "embeddings", body.model, [], "embeddings");
      return serveAttempts(kit, call, planned, started, (routed) =>
        serveEmbeddings(kit, call, body, routed, started),
      );
    },
    listModels: (byok) => listModels(kit.table, byok, Math.floor(kit.now() / 1000)),
    retrieveModel: (byok, id) => {
      refuseKeyAsModel(id, byok);
      return retrieveModel(listModels(kit.table, byok, Math.floor(kit.now() / 1000)), id);
    },
    previewRoutes: (byok) => previewRoutes(kit.table, byok),
    transcribe: (call, query, upload) => servePrerecorded(kit, call, query, upload, kit.config.speechToText),
    openLive: (call, query) => openLiveSession(kit, call, query, kit.config.speechToText.liveMaxMessageBytes),
    relayLive: (session, client, relayOptions = {}) =>
      relayLiveSession(kit, session, client, {
        maxBufferedBytes: kit.config.speechToText.liveMaxBufferedBytes,
        pingIntervalMs: kit.config.speechToText.livePingIntervalMs,
        finishMs: kit.config.speechToText.liveFinishTimeoutMs,
        idleMs: kit.config.speechToText.liveIdleTimeoutMs,
        fallbackBytesPerSecond: kit.config.speechToText.liveFallbackBytesPerSecond,
        ...relayOptions,
      }),
    abandonLive: (session) => abandonLiveSession(kit, session),
  };
  return {
    ...pipeline,
    chatCompletions: (call, body) => runOpen(openCalls, call, (open) => pipeline.chatCompletions(open, body)),
    messages: (call, body) => runOpen(openCalls, call, (open) => pipeline.messages(open, body)),
    responses: (call, body) => runOpen(openCalls, call, (open) => pipeline.responses(open, body)),
    countTokens: (call, body) => runOpen(openCalls, call, (open) => pipeline.countTokens(open, body)),
    embeddings: (call, body) => runOpen(openCalls, call, (open) => pipeline.embeddings(open, body)),
    transcribe: (call, query, upload) =>
      runOpen(openCalls, call, (open) => pipeline.transcribe(open, query, upload)),
    openCalls,
  };
}

/**
 * @module pipeline/open-live-session
 * Opens a live transcription session before the client's socket is accepted: route, admission (rate
 * limits, concurrent streams, the plan's audio seconds before opening), then the provider's live socket
 * with the route's key in a header; a refused upgrade maps to the gateway's errors like any upstream answer.
 */
import {
  isEgressError,
  openUpstreamSocket,
  toUpstreamFailure,
  type UpstreamSocket,
} from "../egress/index.ts";
import { isGatewayError, withHeaders } from "../errors/gateway-error.ts";
import type { Admission } from "../metering/create-admission-control.ts";
import { revealConnectionHeaders, withQuery } from "../providers/index.ts";
import { statusFailure, tagAttemptFailure, transportFailureOf } from "./attempt-failure.ts";
import { buildListenQuery, refuseUnmeteredCallback } from "./build-listen-query.ts";
import { liveBaseUrlFor } from "./build-routing-table.ts";
import type { PipelineKit, RoutedCall } from "./create-pipeline-kit.ts";
import { mapEgressFailure, mapErrorResponse } from "./map-upstream-failure.ts";
import type { ModelCall } from "./pipeline-types.ts";
import { serveAttempts } from "./serve-attempts.ts";

export interface LiveSession {
  readonly call: ModelCall;
  readonly routed: RoutedCall;
  readonly admission: Admission;
  /**
   * The query sent upstream (the client's with the route's params applied): the audio format the provider
   * decodes, which the relay meters what it relays by.
   */
  readonly upstreamQuery: URLSearchParams;
  /** The provider's open live socket, paused until the relay starts. */
  readonly upstream: UpstreamSocket;
  /** When the session was asked for (ms since the epoch). */
  readonly started: number;
  /** `X-BYOK-Route`'s value, for the upgrade response. */
  readonly routeHeader: Readonly<Record<string, string>>;
}

const USER_AGENT = "byok-gateway";

/**
 * Opens the session on the first of the plan's routes that accepts it (the attempt loop: a refused or
 * failed opening moves on like any attempt); once a socket is open, nothing moves it elsewhere.
 */
export async function openLiveSession(
  kit: PipelineKit,
  call: ModelCall,
  query: URLSearchParams,
  maxMessageBytes: number,
): Promise<LiveSession> {
  const started = kit.now();
  const planned = kit.route(call, "stt", query.get("model"), [], "listen");
  const opened = await serveAttempts(kit, call, planned, started, async (routed) => {
    const session = await openOn(kit, call, query, routed, started, maxMessageBytes);
    return { headers: session.routeHeader, session };
  });
  return opened.headers === opened.session.routeHeader
    ? opened.session
    : { ...opened.session, routeHeader: opened.headers };
}

async function openOn(
  kit: PipelineKit,
  call: ModelCall,
  query: URLSearchParams,
  routed: RoutedCall,
  started: number,
  maxMessageBytes: number,
): Promise<LiveSession> {
  const { route, adapter } = routed;
  const routeHeader = kit.routeHeader(route);
  let url: string;
  let upstreamQuery: URLSearchParams;
  try {
    refuseUnmeteredCallback(query, route);
    const built = buildListenQuery(query, route);
    upstreamQuery = built.params;
    url = `${liveBaseUrlFor(kit.config, route)}${withQuery(kit.pathOf(routed, "stt"), built.text)}`;
  } catch (error) {
    throw isGatewayError(error) ? withHeaders(error, routeHeader) : error;
  }
  const admission = await kit.admit(call, route, true, null);
  const fail = (error: unknown) => {
    kit.report(call, "stt", route, admission, started, {
      stream: true,
      status: isGatewayError(error) ? error.status : 499,
      outcome: isGatewayError(error) ? error.type : "client_aborted",
      usage: null,
    });
    return error;
  };
  let opening: Awaited<ReturnType<typeof openUpstreamSocket>>;
  try {
    opening = await openUpstreamSocket({
      url,
      headers: {
        "user-agent": USER_AGENT,
        ...revealConnectionHeaders(route.headers),
        ...adapter.authHeaders(route.key),
      },
      handshakeMs: kit.timeoutsOf(route).connectMs,
      maxMessageBytes,
      signal: call.signal,
    });
  } catch (error) {
    if (call.signal.aborted) throw fail(error);
    const failure = isEgressError(error) ? error : toUpstreamFailure(error);
    const mapped = withHeaders(mapEgressFailure(failure, adapter, route.guarded), routeHeader);
    const transport = transportFailureOf(error, call.signal, true);
    throw fail(transport === undefined ? mapped : tagAttemptFailure(mapped, transport));
  }
  if (!opening.ok) {
    const refused = mapErrorResponse(
      {
        status: opening.status,
        text: opening.text,
        retryAfter: opening.retryAfter,
        source: route.source,
      },
      adapter,
      kit.secretsOf(call, route),
    );
    const failure = statusFailure(opening.status, route.source, opening.retryAfter);
    throw fail(tagAttemptFailure(withHeaders(refused, routeHeader), failure));
  }
  return { call, routed, admission, upstreamQuery, upstream: opening.socket, started, routeHeader };
}

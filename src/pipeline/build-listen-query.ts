/**
 * @module pipeline/build-listen-query
 * The query a Deepgram call is sent with: the client's options passed through, `model` replaced by the
 * route's model, the route's configured params as defaults, the gateway's own parameters removed, and its
 * audio format readable one way only (what the live meter reads is what the provider decodes).
 */
import { GatewayError } from "../errors/gateway-error.ts";
import type { Route } from "../routing/index.ts";
import { checkAudioFormatQuery } from "../wire/deepgram/check-audio-format-query.ts";

/** Parameters that are the gateway's, never Deepgram's: the feature name and the listen ticket. */
const GATEWAY_PARAMS = new Set(["model", "ticket"]);

/**
 * The most query text passed on (Deepgram's own URLs are far shorter). Under Node's 16 KiB limit on a
 * request's head (answered 431 before the gateway sees it), so a live client sees this one as close 4000.
 */
export const QUERY_LIMIT = 8 * 1024;

function paramValues(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(paramValues);
  if (value === null || value === undefined) return [];
  return [typeof value === "object" ? JSON.stringify(value) : String(value)];
}

/** The query sent upstream: its parameters (the live meter reads its audio format from them) and its text. */
export interface ListenQuery {
  readonly params: URLSearchParams;
  readonly text: string;
}

export function buildListenQuery(client: URLSearchParams, route: Route): ListenQuery {
  const query = new URLSearchParams();
  for (const [name, value] of client) {
    if (!GATEWAY_PARAMS.has(name)) query.append(name, value);
  }
  query.set("model", route.model);
  for (const [name, value] of Object.entries(route.params)) {
    if (query.has(name) || GATEWAY_PARAMS.has(name)) continue;
    for (const one of paramValues(value)) query.append(name, one);
  }
  const text = query.toString();
  if (text.length > QUERY_LIMIT) {
    throw new GatewayError("invalid_request", {
      message: `The query string is longer than ${QUERY_LIMIT} characters.`,
    });
  }
  checkAudioFormatQuery(query);
  return { params: query, text };
}

/** `callback`, `callback_method` and any other `callback_*`, in any case (`Callback=`). */
function isCallbackParam(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === "callback" || lower.startsWith("callback_");
}

/**
 * A callback makes the provider post the transcript elsewhere, later: the gateway never sees its
 * duration, so operator-served (metered) transcription refuses it.
 */
export function refuseUnmeteredCallback(client: URLSearchParams, route: Route): void {
  if (route.source !== "operator") return;
  const named = [...client.keys()].find(isCallbackParam);
  if (named !== undefined) {
    throw new GatewayError("invalid_request", {
      message:
        "`callback` is available only on your own Deepgram key: operator-served transcription is metered from the answer.",
      param: "callback",
    });
  }
}

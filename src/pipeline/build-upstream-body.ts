/**
 * @module pipeline/build-upstream-body
 * The post-processing every route gets, custom included: route parameter defaults, the route's model,
 * usage in streams, prompt-cache binding (bind-prompt-cache-key.ts), and
 * the output bound admission reserves (`n` checked, the larger of the two max-token fields).
 */
import { isGatewayError, withHeaders } from "../errors/gateway-error.ts";
import type { ProviderAdapter } from "../providers/index.ts";
import { formatRouteHeader, type Route } from "../routing/index.ts";
import { bindPromptCacheKey, type PromptCacheBinding } from "./bind-prompt-cache-key.ts";
import { parseChoiceCount } from "./parse-choice-count.ts";

export interface UpstreamBody {
  readonly json: string;
  readonly stream: boolean;
  /** The gateway asked for usage in the stream on its own behalf: drop the usage chunk for the client. */
  readonly stripUsageChunk: boolean;
  /**
   * The most one choice may produce: the larger of `max_completion_tokens` and `max_tokens` as sent (route
   * defaults included; an upstream may read either), when either is set.
   */
  readonly maxOutputTokens: number | null;
  /** `n`, the choices generated (each up to `maxOutputTokens`); 1 when absent. */
  readonly choices: number;
  /** The body sent, as an object (what the input estimate reads its media parts from). */
  readonly upstream: Readonly<Record<string, unknown>>;
}

const readTokenLimit = (value: unknown): number | null =>
  typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : null;

function readMaxOutputTokens(body: Readonly<Record<string, unknown>>): number | null {
  const completion = readTokenLimit(body.max_completion_tokens);
  const legacy = readTokenLimit(body.max_tokens);
  if (completion === null) return legacy;
  return legacy === null ? completion : Math.max(completion, legacy);
}

/** The route's `params` as defaults: fields the client left unset; the model becomes the route's. */
export function applyRouteParams(
  body: Readonly<Record<string, unknown>>,
  route: Route,
): Record<string, unknown> {
  const upstream: Record<string, unknown> = { ...body };
  for (const [name, value] of Object.entries(route.params))
    if (upstream[name] === undefined) upstream[name] = value;
  upstream.model = route.model;
  return upstream;
}

export function buildChatBody(
  body: Readonly<Record<string, unknown>>,
  route: Route,
  adapter: ProviderAdapter,
  promptCache: PromptCacheBinding,
): UpstreamBody {
  const upstream: Record<string, unknown> = { ...body };
  for (const [name, value] of Object.entries(route.params))
    if (upstream[name] === undefined) upstream[name] = value;
  upstream.model = route.model;
  // Before admission: the reservation multiplies by it. Refused after routing, so naming the route.
  let choices: number;
  try {
    choices = parseChoiceCount(upstream);
  } catch (error) {
    throw isGatewayError(error) ? withHeaders(error, { "x-byok-route": formatRouteHeader(route) }) : error;
  }

  const stream = upstream.stream === true;
  let stripUsageChunk = false;
  if (stream) {
    const clientOptions = upstream.stream_options;
    const clientAsked =
      (clientOptions as { include_usage?: unknown } | null | undefined)?.include_usage === true;
    if (!clientAsked && adapter.supports.streamUsage) {
      upstream.stream_options = {
        ...(typeof clientOptions === "object" && clientOptions !== null ? clientOptions : {}),
        include_usage: true,
      };
      stripUsageChunk = true;
    }
  }

  bindPromptCacheKey(upstream, route, adapter, promptCache);
  return {
    json: JSON.stringify(upstream),
    stream,
    stripUsageChunk,
    maxOutputTokens: readMaxOutputTokens(upstream),
    choices,
    upstream,
  };
}

export function buildEmbeddingsBody(
  body: Readonly<Record<string, unknown>>,
  route: Route,
  adapter: ProviderAdapter,
): { readonly json: string; readonly encodeBase64: boolean } {
  const upstream: Record<string, unknown> = { ...body };
  for (const [name, value] of Object.entries(route.params))
    if (upstream[name] === undefined) upstream[name] = value;
  upstream.model = route.model;
  // Asked for base64: floats in the answer are encoded whatever the upstream claims to support
  // (a compatible proxy may ignore the field); strings already in base64 pass unchanged.
  const encodeBase64 = upstream.encoding_format === "base64";
  if (encodeBase64 && !adapter.supports.base64Embeddings) upstream.encoding_format = "float";
  return { json: JSON.stringify(upstream), encodeBase64 };
}

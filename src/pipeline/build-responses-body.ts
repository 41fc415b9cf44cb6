/**
 * @module pipeline/build-responses-body
 * The Responses request passed through to an upstream that speaks it: the route's model, its `params` as
 * defaults (a chat token limit becomes `max_output_tokens`), prompt-cache binding as on chat, the output
 * bound admission reserves, and the refusal of server-side state on the operator's key.
 */
import { GatewayError, withHeaders } from "../errors/gateway-error.ts";
import type { ProviderAdapter } from "../providers/index.ts";
import { formatRouteHeader, type Route } from "../routing/index.ts";
import { derivePromptCacheKey } from "./build-upstream-body.ts";

export interface ResponsesUpstreamBody {
  readonly json: string;
  readonly stream: boolean;
  /** `max_output_tokens` as sent (route default included), when set. */
  readonly maxOutputTokens: number | null;
  /** The input items as messages (what the input estimate reads its media parts from). */
  readonly upstream: Readonly<Record<string, unknown>>;
}

/** Request fields that reach responses stored upstream: on the operator's key, every user's are in one account. */
const STATEFUL_FIELDS = ["previous_response_id", "conversation"] as const;

/** Chat-completion token limits a route's params may set, read as the Responses API's one. */
const CHAT_TOKEN_LIMITS = ["max_completion_tokens", "max_tokens"] as const;

const readTokenLimit = (value: unknown): number | null =>
  typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : null;

export interface ResponsesBodyOptions {
  readonly userId: string;
  /** `responses.allowStatefulOnOperatorKeys`. */
  readonly allowStatefulOnOperatorKeys: boolean;
}

export function buildResponsesBody(
  body: Readonly<Record<string, unknown>>,
  route: Route,
  adapter: ProviderAdapter,
  options: ResponsesBodyOptions,
): ResponsesUpstreamBody {
  if (route.source === "operator" && !options.allowStatefulOnOperatorKeys) {
    const field = STATEFUL_FIELDS.find((name) => body[name] !== undefined && body[name] !== null);
    if (field !== undefined) {
      throw withHeaders(
        new GatewayError("invalid_request", {
          message: `\`${field}\` is refused on the operator's key (stored responses there are shared by every user); send the conversation as \`input\`, or use your own key.`,
          code: "stateful_request_refused",
          param: field,
        }),
        { "x-byok-route": formatRouteHeader(route) },
      );
    }
  }
  const upstream: Record<string, unknown> = { ...body };
  for (const [name, value] of Object.entries(route.params)) {
    const target = (CHAT_TOKEN_LIMITS as readonly string[]).includes(name) ? "max_output_tokens" : name;
    if (upstream[target] === undefined) upstream[target] = value;
  }
  upstream.model = route.model;
  if (route.promptCacheKey === "off" || !adapter.supportsPromptCacheKey(route.model)) {
    delete upstream.prompt_cache_key;
  } else if (
    route.promptCacheKey === "derive" &&
    upstream.prompt_cache_key === undefined &&
    route.feature !== null
  ) {
    upstream.prompt_cache_key = derivePromptCacheKey(options.userId, route.feature);
  }
  const input = upstream.input;
  return {
    json: JSON.stringify(upstream),
    stream: upstream.stream === true,
    maxOutputTokens: readTokenLimit(upstream.max_output_tokens),
    upstream: { messages: Array.isArray(input) ? input : [] },
  };
}

/**
 * @module pipeline/build-responses-body
 * The Responses request passed through to an upstream that speaks it: the route's model, its `params` as
 * defaults (a chat token limit becomes `max_output_tokens`), prompt-cache binding as on chat, the output
 * bound admission reserves, and the refusal of server-side state on the operator's key.
 */
import { GatewayError, withHeaders } from "../errors/gateway-error.ts";
import type { ProviderAdapter } from "../providers/index.ts";
import { formatRouteHeader, type Route } from "../routing/index.ts";
import { bindPromptCacheKey, type PromptCacheBinding } from "./bind-prompt-cache-key.ts";

export interface ResponsesUpstreamBody {
  readonly json: string;
  readonly stream: boolean;
  /** `max_output_tokens` as sent (route default included), when set. */
  readonly maxOutputTokens: number | null;
  /** The input items as messages (what the input estimate reads its media parts from). */
  readonly upstream: Readonly<Record<string, unknown>>;
}

/** Request fields that read responses stored upstream: on the operator's key, every user's are in one account. */
const STATEFUL_FIELDS = ["previous_response_id", "conversation"] as const;

/** Chat-completion token limits a route's params may set, read as the Responses API's one. */
const CHAT_TOKEN_LIMITS = ["max_completion_tokens", "max_tokens"] as const;

const readTokenLimit = (value: unknown): number | null =>
  typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : null;

/** The first part of the request that reads state stored upstream: a field, or an `item_reference` input item. */
function findStatefulField(
  body: Readonly<Record<string, unknown>>,
): { readonly name: string; readonly param: string } | null {
  const field = STATEFUL_FIELDS.find((name) => body[name] !== undefined && body[name] !== null);
  if (field !== undefined) return { name: field, param: field };
  if (!Array.isArray(body.input)) return null;
  const index = body.input.findIndex(
    (item: unknown) =>
      typeof item === "object" && item !== null && (item as { type?: unknown }).type === "item_reference",
  );
  return index === -1 ? null : { name: "item_reference", param: `input[${index}]` };
}

export interface ResponsesBodyOptions {
  /** The user and the secret the prompt-cache key is bound with (the same rule as chat bodies). */
  readonly promptCache: PromptCacheBinding;
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
    const field = findStatefulField(body);
    if (field !== null) {
      throw withHeaders(
        new GatewayError("invalid_request", {
          message: `\`${field.name}\` is refused on the operator's key (what is stored there is shared by every user): send the conversation itself as \`input\` (with the AI SDK, \`store: false\`), or use your own key.`,
          code: "stateful_request_refused",
          param: field.param,
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
  bindPromptCacheKey(upstream, route, adapter, options.promptCache);
  const input = upstream.input;
  return {
    json: JSON.stringify(upstream),
    stream: upstream.stream === true,
    maxOutputTokens: readTokenLimit(upstream.max_output_tokens),
    upstream: { messages: Array.isArray(input) ? input : [] },
  };
}

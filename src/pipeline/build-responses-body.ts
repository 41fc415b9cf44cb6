/**
 * @module pipeline/build-responses-body
 * The Responses request passed through to an upstream that speaks it: the route's model, its `params` as
 * defaults (a chat token limit becomes `max_output_tokens`), prompt-cache binding as on chat, the output
 * bound admission reserves; on the operator's key, the allow list of what may run on its account, `store: false`
 * when absent and a per-user `safety_identifier`.
 */
import { createHmac } from "node:crypto";
import { GatewayError, withHeaders } from "../errors/gateway-error.ts";
import type { ProviderAdapter } from "../providers/index.ts";
import { formatRouteHeader, type Route } from "../routing/index.ts";
import { checkOperatorResponsesRequest } from "../wire/openai/check-operator-responses-request.ts";
import { bindPromptCacheKey, type PromptCacheBinding } from "./bind-prompt-cache-key.ts";

export interface ResponsesUpstreamBody {
  readonly json: string;
  readonly stream: boolean;
  /** `max_output_tokens` as sent (route default included), when set. */
  readonly maxOutputTokens: number | null;
  /** The input items as messages (what the input estimate reads its media parts from). */
  readonly upstream: Readonly<Record<string, unknown>>;
}

/** Chat-completion token limits a route's params may set, read as the Responses API's one. */
const CHAT_TOKEN_LIMITS = ["max_completion_tokens", "max_tokens"] as const;

const readTokenLimit = (value: unknown): number | null =>
  typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : null;

/**
 * The identifier sent as `safety_identifier` and `user` on the operator's key: derived from the authenticated
 * user id by a keyed hash (the id itself never reaches the provider, and a guessable id such as an email
 * cannot be matched to it), whatever the client sent, so OpenAI's abuse flags land on the user who earned
 * them and no user can pin them on another.
 */
export function deriveSafetyIdentifier(binding: PromptCacheBinding): string {
  const digest = createHmac("sha256", binding.secret)
    .update(`safety\u0000${binding.userId}`)
    .digest("base64url");
  return `byok-user-${digest.slice(0, 32)}`;
}

/** Refuses (400, `param` at the field) what may not run on the operator's OpenAI account. */
export function refuseOperatorAccountUse(
  body: Readonly<Record<string, unknown>>,
  route: Route,
  allowStateful: boolean,
): void {
  const decision = checkOperatorResponsesRequest(body, { allowStateful });
  if (decision.ok) return;
  throw withHeaders(
    new GatewayError("invalid_request", {
      message: decision.message,
      code: decision.code,
      param: decision.param,
    }),
    { "x-byok-route": formatRouteHeader(route) },
  );
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
  const upstream: Record<string, unknown> = { ...body };
  if (route.source === "operator") {
    refuseOperatorAccountUse(body, route, options.allowStatefulOnOperatorKeys);
    // OpenAI stores a response unless told not to: on the operator's account, nothing is kept.
    // `null` is OpenAI's default too (`true`): anything but an explicit `false` is sent as `false`.
    if (upstream.store !== false && !options.allowStatefulOnOperatorKeys) upstream.store = false;
    const identifier = deriveSafetyIdentifier(options.promptCache);
    upstream.safety_identifier = identifier;
    upstream.user = identifier;
  }
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

/**
 * @module providers/provider-adapter
 * What a provider needs to serve a call: its dialect, default base URL, paths, how the key is attached,
 * how its errors read, and which optional parameters it accepts. Each provider is one small adapter.
 */
import type { ConnectionKind } from "../config/connection-schema.ts";
import type { Capability } from "../config/feature-schema.ts";
import type { ProviderId } from "../keys/provider-ids.ts";
import type { SecretKey } from "../keys/secret-key.ts";

/** The wire format a provider speaks; same-dialect calls pass through, others are translated. */
export type Dialect = "openai" | "anthropic" | "deepgram";

/** What a route serves: chat completions, embeddings, or speech-to-text (prerecorded and live). */
export type Operation = "chat" | "embeddings" | "stt";

/**
 * An adapter's id: a provider (docs/features-and-routing.md; a user may bring a key for it), or an operator-only backend kind
 * (`openai_compatible`, `azure`). Bounded: what metrics label `provider` carries.
 */
export type AdapterId = ProviderId | ConnectionKind;

/** What a call's path may depend on besides the operation: the route's model and its connection's settings. */
export interface PathTarget {
  readonly model: string;
  /** Azure OpenAI: the `api-version` of every call; null elsewhere. */
  readonly apiVersion: string | null;
  /** Azure OpenAI: model → deployment name; empty elsewhere. */
  readonly deployments: Readonly<Record<string, string>>;
}

/** The target of a provider's own connection (`providers.<id>`): nothing but the model. */
export function plainTarget(model: string): PathTarget {
  return { model, apiVersion: null, deployments: {} };
}

/** A `pathFor` for a provider whose paths do not depend on the model or the connection. */
export function fixedPaths(
  paths: Readonly<Partial<Record<Operation, string>>>,
): (operation: Operation) => string | undefined {
  return (operation) => paths[operation];
}

export interface ProviderError {
  /** The provider's message, untrusted: redact keys before it is shown. */
  readonly message: string | null;
  readonly code: string | null;
  /** The request field at fault, when the provider names one. */
  readonly param?: string | null;
}

/** A key's cheapest authenticated call (a GET): what `POST /v1/byok/verify` and `byok-gateway verify` send. */
export interface VerifyProbe {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface ProviderAdapter {
  readonly id: AdapterId;
  readonly dialect: Dialect;
  /** Where the API lives unless the operator configures `providers.<id>.baseUrl`; null for custom. */
  readonly defaultBaseUrl: string | null;
  /**
   * The path (and query, if any) appended to the base URL for an operation on a route's model and
   * connection; undefined when this provider does not serve the operation.
   */
  pathFor(operation: Operation, target: PathTarget): string | undefined;
  /**
   * The Responses API (`POST /v1/responses` passes through), where the provider speaks it; routing still
   * uses the `chat` operation (any chat route serves the Responses ingress, by translation elsewhere).
   */
  readonly responsesPath?: string;
  /** Anthropic's token counting endpoint, where the provider has one. */
  readonly countTokensPath?: string;
  /** The request headers that carry the key: the one line of a provider that reveals it. */
  authHeaders(key: SecretKey): Record<string, string>;
  /** Optional parameters the upstream honours. */
  readonly supports: {
    /** `stream_options.include_usage`: a final usage chunk in streams. */
    readonly streamUsage: boolean;
    /** `encoding_format: "base64"` for embeddings (else the gateway encodes floats itself). */
    readonly base64Embeddings: boolean;
  };
  /** The capabilities of a model on this provider when the operator does not declare them. */
  capabilitiesOf(model: string): ReadonlySet<Capability>;
  /** OpenAI's `prompt_cache_key`: forwarded only to models that honour it, stripped for the rest. */
  supportsPromptCacheKey(model: string): boolean;
  /** Reads an error body (already parsed JSON, or null) into a message and code. */
  readError(body: unknown): ProviderError;
  /** Builds the key check against `baseUrl` (the operator's configured one, or the user's custom endpoint). */
  buildVerifyProbe(baseUrl: string, key: SecretKey): VerifyProbe;
  /** Whether a probe's error answer says the key itself was refused; 401 and 403 when absent. */
  rejectsKey?(status: number, error: ProviderError): boolean;
}

/** `path` with `query` appended (`?` or `&`, whichever it needs). */
export function withQuery(path: string, query: string): string {
  if (query === "") return path;
  return `${path}${path.includes("?") ? "&" : "?"}${query}`;
}

/** `base` without trailing slashes, then `path`. */
export function joinBaseUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}${path}`;
}

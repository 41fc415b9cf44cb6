/**
 * @module routing/route
 * The route one request is served on, with whose key: the only input the pipeline needs to call upstream.
 */
import type { Capability, FeatureConfig } from "../config/feature-schema.ts";
import type { SecretKey } from "../keys/secret-key.ts";
import type { AdapterId } from "../providers/index.ts";
import type { OperatorKeyPool } from "../resilience/operator-key-pool.ts";

export type RouteSource = "byok" | "operator";

export interface Route {
  /** The feature the app named, or null for a direct `provider/model` call. */
  readonly feature: string | null;
  /** The adapter's id: the provider, or the kind of an operator-only connection (`openai_compatible`, `azure`). */
  readonly provider: AdapterId;
  /** The connection serving the route: a provider's id for `providers.*` and direct calls, else `connections.<name>`'s name. */
  readonly connection: string;
  /** The upstream speaks the Responses API natively (`/v1/responses` passes through). */
  readonly responsesApi: boolean;
  readonly model: string;
  readonly source: RouteSource;
  /** The key the call is made with: the user's validated key (byok) or the operator's. */
  readonly key: SecretKey;
  /** The provider's base URL: operator configuration, or the user's enrolled custom endpoint. */
  readonly baseUrl: string;
  /** The connection's extra headers (secrets); never set for the user's custom endpoint. */
  readonly headers: Readonly<Record<string, SecretKey>>;
  /** True for the user's custom endpoint: sent only through the egress guard. */
  readonly guarded: boolean;
  /** Request defaults from the route's configuration. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly capabilities: ReadonlySet<Capability>;
  readonly promptCacheKey: FeatureConfig["promptCacheKey"];
  /** On an operator-served route: the pool its key was drawn from and the key's slot (what a 429 or 401 reports to). */
  readonly operatorKey?: { readonly pool: OperatorKeyPool; readonly slot: number };
}

export type RouteErrorType = "model_not_found" | "byok_required" | "no_route";

/** Every route a request may be attempted on, in order (resolveRoutePlan); never empty. */
export type RoutePlan =
  | { readonly ok: true; readonly routes: readonly Route[] }
  | { readonly ok: false; readonly error: RouteErrorType; readonly message: string };

export type RouteDecision =
  | { readonly ok: true; readonly route: Route }
  | { readonly ok: false; readonly error: RouteErrorType; readonly message: string };

/** An attempt that failed before the one that served (or before the final error), and why. */
export interface FailedAttempt {
  readonly route: Pick<Route, "connection" | "model" | "source">;
  /** `connect_failed`, `headers_timeout`, an HTTP status (`429`, `503`), `circuit_open`, ... */
  readonly reason: string;
}

/**
 * What a model name may not hold as is in the header: anything outside printable ASCII, `%` (the escape
 * itself), and the header's own separators `;` (between fields) and `,` (between failed attempts).
 */
const NOT_HEADER_TEXT = /[^\x20-\x24\x26-\x2b\x2d-\x3a\x3c-\x7e]/u;
const NOT_HEADER_TEXT_ALL = new RegExp(NOT_HEADER_TEXT.source, "gu");

/**
 * A model name as header text: a name the user chose (a direct `provider/model`, a custom endpoint's model)
 * may hold any character; those outside printable ASCII, `%`, `;` and `,` are percent-encoded as UTF-8, so
 * no name can add a field (`; source=…`) or an attempt (`,…`) to the header.
 */
function headerText(name: string): string {
  return NOT_HEADER_TEXT.test(name) ? name.replace(NOT_HEADER_TEXT_ALL, percentEncode) : name;
}

/** One character's UTF-8 bytes as `%XX`; a lone surrogate (valid in JSON, not in UTF-8) as U+FFFD's. */
function percentEncode(character: string): string {
  return character.isWellFormed() ? encodeURIComponent(character) : "%EF%BF%BD";
}

/**
 * `X-BYOK-Route: <connection>/<model>; source=byok|operator`: the provider's id for its own connection
 * (`openai/gpt-4.1-mini`), the connection's name for a named one (`azure-eu/gpt-4o`); when attempts
 * failed before it, `; failed=<connection>/<model>@<source>:<reason>,...` in the order they were made.
 * A model name's characters outside printable ASCII, and `%`, `;`, `,`, are percent-encoded.
 */
export function formatRouteHeader(route: Route, failed?: readonly FailedAttempt[]): string {
  const served = `${route.connection}/${headerText(route.model)}; source=${route.source}`;
  if (failed === undefined || failed.length === 0) return served;
  const list = failed.map(
    ({ route: tried, reason }) => `${tried.connection}/${headerText(tried.model)}@${tried.source}:${reason}`,
  );
  return `${served}; failed=${list.join(",")}`;
}

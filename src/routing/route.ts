/**
 * @module routing/route
 * The route one request is served on, with whose key: the only input the pipeline needs to call upstream.
 */
import type { Capability, FeatureConfig } from "../config/feature-schema.ts";
import type { ProviderId } from "../keys/provider-ids.ts";
import type { SecretKey } from "../keys/secret-key.ts";

export type RouteSource = "byok" | "operator";

export interface Route {
  /** The feature the app named, or null for a direct `provider/model` call. */
  readonly feature: string | null;
  readonly provider: ProviderId;
  readonly model: string;
  readonly source: RouteSource;
  /** The key the call is made with: the user's validated key (byok) or the operator's. */
  readonly key: SecretKey;
  /** The provider's base URL: operator configuration, or the user's enrolled custom endpoint. */
  readonly baseUrl: string;
  /** True for the user's custom endpoint: sent only through the egress guard. */
  readonly guarded: boolean;
  /** Request defaults from the route's configuration. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly capabilities: ReadonlySet<Capability>;
  readonly promptCacheKey: FeatureConfig["promptCacheKey"];
  /** The upstream speaks OpenAI's Responses API natively: `/v1/responses` passes through. */
  readonly responsesApi: boolean;
}

export type RouteErrorType = "model_not_found" | "byok_required" | "no_route";

export type RouteDecision =
  | { readonly ok: true; readonly route: Route }
  | { readonly ok: false; readonly error: RouteErrorType; readonly message: string };

/** `X-BYOK-Route: <provider>/<model>; source=byok|operator` */
export function formatRouteHeader(route: Route): string {
  return `${route.provider}/${route.model}; source=${route.source}`;
}

/**
 * @module routing/preview-routes
 * `GET /v1/byok/routes`: for every feature and each operation it serves, the route a call would take with
 * these keys, resolved by `resolveRoute` itself (never a second copy of the rules), or why there is none.
 */
import type { Operation } from "../providers/index.ts";
import type { ByokContext } from "../validation/byok-context.ts";
import { featureOperations, type RoutingTable, resolveRoute } from "./resolve-route.ts";
import type { RouteSource } from "./route.ts";

export interface RoutePreviewEntry {
  readonly feature: string;
  /** Other names a request may use for the feature (`features.<name>.aliases`). */
  readonly aliases: readonly string[];
  readonly operation: Operation;
  /** Whose key would serve it; null: no route for this user. */
  readonly source: RouteSource | null;
  readonly provider: string | null;
  readonly model: string | null;
  /** Why there is no route (`byok_required`, `no_route`, `model_not_found`); null when there is one. */
  readonly reason: string | null;
}

export interface RoutePreview {
  readonly features: readonly RoutePreviewEntry[];
}

export function previewRoutes(table: RoutingTable, byok: ByokContext): RoutePreview {
  const features: RoutePreviewEntry[] = [];
  for (const [feature, config] of Object.entries(table.features)) {
    const { aliases } = config;
    const operations = featureOperations(table, feature, byok);
    for (const operation of operations.length > 0 ? operations : (["chat"] as const)) {
      const decision = resolveRoute(table, { model: feature, operation, needs: [] }, byok);
      features.push(
        decision.ok
          ? {
              feature,
              aliases,
              operation,
              source: decision.route.source,
              provider: decision.route.provider,
              model: decision.route.model,
              reason: null,
            }
          : {
              feature,
              aliases,
              operation,
              source: null,
              provider: null,
              model: null,
              reason: decision.error,
            },
      );
    }
  }
  return { features };
}

/**
 * @module routing
 * Features → candidates → the one route that serves a request.
 */

export { checkDefaultFeatures } from "./check-default-features.ts";
export { describeUnknownModel, LISTED_NAMES } from "./describe-unknown-model.ts";
export { INGRESS_OPERATIONS } from "./ingress-operations.ts";
export { type ModelName, parseModelName } from "./parse-model-name.ts";
export { previewRoutes, type RoutePreview, type RoutePreviewEntry } from "./preview-routes.ts";
export {
  featureOperations,
  indexAliases,
  type OperatorProvider,
  type RouteRequest,
  type RoutingTable,
  resolveRoute,
} from "./resolve-route.ts";
export {
  formatRouteHeader,
  type Route,
  type RouteDecision,
  type RouteErrorType,
  type RouteSource,
} from "./route.ts";

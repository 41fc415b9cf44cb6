/**
 * @module routing
 * Features → candidates → the one route that serves a request.
 */

export { type AttemptPolicy, attemptPolicyOf, DEFAULT_ATTEMPT_POLICY } from "./attempt-policy.ts";
export { checkDefaultFeatures } from "./check-default-features.ts";
export { type Connection, userKeyProviderOf } from "./connection.ts";
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
  resolveRoutePlan,
} from "./resolve-route.ts";
export {
  type FailedAttempt,
  formatRouteHeader,
  type Route,
  type RouteDecision,
  type RouteErrorType,
  type RoutePlan,
  type RouteSource,
} from "./route.ts";

/**
 * @module routing/resolve-route
 * Routing (docs/features-and-routing.md) as one pure function for every request and every route, custom included: candidates in
 * order, the first the user holds a key for (BYOK-served), else the operator's where allowed, else a clear error.
 */
import type { Capability, FeatureConfig } from "../config/feature-schema.ts";
import type { ProviderId } from "../keys/provider-ids.ts";
import type { SecretKey } from "../keys/secret-key.ts";
import type { Operation } from "../providers/index.ts";
import type { ByokContext } from "../validation/byok-context.ts";
import { attemptPolicyOf } from "./attempt-policy.ts";
import { describeUnknownModel } from "./describe-unknown-model.ts";
import {
  type Candidate,
  canServe,
  directCandidate,
  type Endpoint,
  endpointOf,
  featureCandidates,
  needsOf,
  servesOperation,
} from "./feature-candidates.ts";
import { INGRESS_OPERATIONS } from "./ingress-operations.ts";
import { parseModelName } from "./parse-model-name.ts";
import type { Route, RouteDecision, RoutePlan } from "./route.ts";
import type { RouteRequest, RoutingTable } from "./routing-table.ts";

export {
  indexAliases,
  type OperatorProvider,
  type RouteRequest,
  type RoutingTable,
} from "./routing-table.ts";

const OPERATIONS: readonly Operation[] = ["chat", "embeddings", "stt"];

/**
 * The operations a feature's configured routes can serve at all (some route has the path and the
 * capabilities), whoever's key it would run on; the custom endpoint's only for a feature with no routes
 * (it is assumed able to do anything): what a route preview lists for the feature.
 */
export function featureOperations(table: RoutingTable, name: string, byok: ByokContext): Operation[] {
  const feature = Object.hasOwn(table.features, name) ? table.features[name]! : null;
  if (feature === null) return [];
  const all = featureCandidates(name, feature, byok, table);
  const configured = all.filter((candidate) => candidate.provider !== "custom");
  const candidates = configured.length > 0 ? configured : all;
  return OPERATIONS.filter((operation) => {
    const needs = needsOf(operation, feature, []);
    return candidates.some((candidate) => canServe(candidate, operation, needs, table, byok));
  });
}

/**
 * What a name asks for, in this order: a feature, an alias, a direct `provider/model` (when allowed), the
 * ingress's default feature; else the error listing what would have matched.
 */
function targetOf(
  table: RoutingTable,
  request: RouteRequest,
  byok: ByokContext,
):
  | { readonly kind: "feature"; readonly name: string; readonly feature: FeatureConfig }
  | { readonly kind: "direct"; readonly provider: ProviderId; readonly model: string }
  | { readonly kind: "unknown"; readonly message: string } {
  const name = parseModelName(request.model);
  if (name.kind === "invalid") return { kind: "unknown", message: name.reason };
  const featureNamed = (feature: string) => ({
    kind: "feature" as const,
    name: feature,
    feature: table.features[feature]!,
  });
  if (Object.hasOwn(table.features, name.value)) return featureNamed(name.value);
  const aliased = table.aliases.get(name.value);
  if (aliased !== undefined) return featureNamed(aliased);
  if (name.kind === "direct" && table.allowDirect) return name;
  const fallback = request.ingress === undefined ? undefined : table.defaultFeatures[request.ingress];
  if (fallback !== undefined && Object.hasOwn(table.features, fallback)) return featureNamed(fallback);
  const operation = request.ingress === undefined ? request.operation : INGRESS_OPERATIONS[request.ingress];
  const serving = (feature: string) => featureOperations(table, feature, byok).includes(operation);
  return {
    kind: "unknown",
    message: describeUnknownModel(table, name, request.ingress ?? null, operation, serving),
  };
}

/** The one route a request would be served on now (previews, listModels): the plan's first. */
export function resolveRoute(table: RoutingTable, request: RouteRequest, byok: ByokContext): RouteDecision {
  const plan = planRoutes(table, request, byok, true);
  return plan.ok ? { ok: true, route: plan.routes[0]! } : plan;
}

/**
 * Every route a request may be attempted on, in order (docs/features-and-routing.md, "When an upstream
 * fails"): each capable candidate the user holds a key for (BYOK-served), in the feature's order; then,
 * only where `operatorFallback` allows it and either the user held no key for any candidate or
 * `fallback.byokToOperator` is on, each capable candidate the operator holds a key for. With
 * `fallback.enabled` off, the first alone. A user's key only ever serves connections of its own kind.
 */
export function resolveRoutePlan(table: RoutingTable, request: RouteRequest, byok: ByokContext): RoutePlan {
  return planRoutes(table, request, byok, false);
}

function planRoutes(
  table: RoutingTable,
  request: RouteRequest,
  byok: ByokContext,
  firstOnly: boolean,
): RoutePlan {
  const name = targetOf(table, request, byok);
  if (name.kind === "unknown") return { ok: false, error: "model_not_found", message: name.message };
  const feature = name.kind === "feature" ? name.feature : null;
  const candidates =
    name.kind === "feature"
      ? featureCandidates(name.name, name.feature, byok, table)
      : [directCandidate(name.provider, name.model, table, byok)];

  const needs = needsOf(request.operation, feature, request.needs);
  const capable = candidates.filter(
    (candidate) => candidate.model !== null && canServe(candidate, request.operation, needs, table, byok),
  );

  const route = (
    candidate: Candidate,
    source: Route["source"],
    key: SecretKey,
    endpoint: Endpoint,
  ): Route => ({
    feature: name.kind === "feature" ? name.name : null,
    provider: candidate.provider,
    connection: candidate.connection,
    responsesApi: endpoint.responsesApi,
    model: candidate.model!,
    source,
    key,
    baseUrl: endpoint.baseUrl!,
    headers: endpoint.headers,
    guarded: candidate.provider === "custom",
    params: candidate.params,
    capabilities: candidate.capabilities,
    promptCacheKey: feature?.promptCacheKey ?? "forward",
  });

  const fallback = attemptPolicyOf(table, feature).fallback;
  const one = firstOnly || !fallback.enabled;
  const routes: Route[] = [];
  for (const candidate of capable) {
    const endpoint = endpointOf(candidate, table, byok);
    // A user's key for provider P serves only connections of kind P (never openai_compatible or azure).
    const key = endpoint?.userKey == null ? undefined : byok.keys[endpoint.userKey];
    if (key === undefined || endpoint === null || endpoint.baseUrl === null) continue;
    routes.push(route(candidate, "byok", key, endpoint));
    if (one) return { ok: true, routes };
  }
  // A user who holds a key for some route moves to the operator's only where the operator said so.
  if (feature?.operatorFallback === true && (routes.length === 0 || fallback.byokToOperator)) {
    for (const candidate of capable) {
      if (candidate.byokOnly) continue;
      const endpoint = endpointOf(candidate, table, byok);
      const picked = endpoint?.baseUrl == null ? null : (endpoint.operatorKeys?.pick() ?? null);
      if (endpoint == null || picked === null) continue;
      routes.push({
        ...route(candidate, "operator", picked.key, endpoint),
        operatorKey: { pool: endpoint.operatorKeys!, slot: picked.slot },
      });
      if (one) return { ok: true, routes };
    }
  }
  if (routes.length > 0) return { ok: true, routes };

  const label = name.kind === "feature" ? `Feature \`${name.name}\`` : `\`${name.provider}/${name.model}\``;
  if (capable.length === 0) {
    return {
      ok: false,
      error: "no_route",
      message: `${label} has no route that can serve this request (needs ${[...needs].join(", ")}).${capabilityHint(candidates, request.operation, needs, table, byok)}`,
    };
  }
  // Only connections a user's key may serve are worth naming to the user (never an operator backend).
  const byokable = capable.filter((candidate) => endpointOf(candidate, table, byok)?.userKey != null);
  const providers = [...new Set(byokable.map((candidate) => candidate.connection))].join(", ");
  const operatorOnly = [...new Set(capable.map((candidate) => candidate.connection))].join(", ");
  if (byokable.length === 0) {
    // Every capable route is an operator backend (openai_compatible, azure) the operator cannot serve now.
    return {
      ok: false,
      error: "no_route",
      message:
        feature !== null && !feature.operatorFallback
          ? `${label} runs only on operator connections (${operatorOnly}), and features.${name.kind === "feature" ? name.name : ""}.operatorFallback is false.`
          : `${label} has no key to run on: no operator key is configured for ${operatorOnly}.`,
    };
  }
  // Nothing the operator could ever pay for (a direct call, operatorFallback off, or only byokRoutes
  // and the custom endpoint): the user's own key is the only way.
  if (feature === null || !feature.operatorFallback || capable.every((candidate) => candidate.byokOnly)) {
    return {
      ok: false,
      error: "byok_required",
      message: `${label} runs only on your own key for one of: ${providers}.`,
    };
  }
  return {
    ok: false,
    error: "no_route",
    message: `${label} has no key to run on: bring your own key for one of: ${providers}.`,
  };
}

/**
 * For a request no candidate can serve for want of capabilities: the settings that would declare them
 * (routes whose backend serves the operation but whose capabilities lack a need), or nothing when no
 * setting can help (no backend of the feature serves the operation at all).
 */
function capabilityHint(
  candidates: readonly Candidate[],
  operation: Operation,
  needs: ReadonlySet<Capability>,
  table: RoutingTable,
  byok: ByokContext,
): string {
  const missing = new Set<Capability>();
  const settings: string[] = [];
  for (const candidate of candidates) {
    if (candidate.capabilitySettings.length === 0 || !servesOperation(candidate, operation, table, byok))
      continue;
    const lacking = [...needs].filter((need) => !candidate.capabilities.has(need));
    if (lacking.length === 0) continue;
    for (const need of lacking) missing.add(need);
    settings.push(candidate.capabilitySettings.join(" or "));
  }
  if (settings.length === 0) return "";
  return ` If a route can do ${[...missing].join(", ")}, declare it in ${settings.join("; or ")}.`;
}

/**
 * @module routing/resolve-route
 * Routing (docs/features-and-routing.md) as one pure function for every request and every route, custom included: candidates in
 * order, the first the user holds a key for (BYOK-served), else the operator's where allowed, else a clear error.
 */
import { type Capability, type FeatureConfig, MODEL_CAPABILITIES } from "../config/feature-schema.ts";
import type { ProviderId } from "../keys/provider-ids.ts";
import type { SecretKey } from "../keys/secret-key.ts";
import { type AdapterId, type Operation, type PathTarget, plainTarget } from "../providers/index.ts";
import type { OperatorKeyPool } from "../resilience/operator-key-pool.ts";
import type { ByokContext } from "../validation/byok-context.ts";
import { userKeyProviderOf } from "./connection.ts";
import { describeUnknownModel } from "./describe-unknown-model.ts";
import { INGRESS_OPERATIONS } from "./ingress-operations.ts";
import { parseModelName } from "./parse-model-name.ts";
import type { Route, RouteDecision } from "./route.ts";
import type { RouteRequest, RoutingTable } from "./routing-table.ts";

export {
  indexAliases,
  type OperatorProvider,
  type RouteRequest,
  type RoutingTable,
} from "./routing-table.ts";

interface Candidate {
  /** The connection's name: a provider's id for its own connection (and for custom). */
  readonly connection: string;
  readonly provider: AdapterId;
  readonly model: string | null;
  readonly params: Readonly<Record<string, unknown>>;
  readonly capabilities: ReadonlySet<Capability>;
  /** byokRoutes, the custom endpoint and direct calls are never served on the operator's key. */
  readonly byokOnly: boolean;
  /** The settings that declare this candidate's capabilities: what a capability error names. */
  readonly capabilitySettings: readonly string[];
}

/** Where a candidate is served: base URL, the operator's key and headers, and whose user key it may carry. */
interface Endpoint {
  readonly baseUrl: string | null;
  readonly operatorKeys: OperatorKeyPool | null;
  readonly headers: Readonly<Record<string, SecretKey>>;
  readonly userKey: ProviderId | null;
  readonly responsesApi: boolean;
  readonly target: PathTarget;
}

const NO_HEADERS: Readonly<Record<string, SecretKey>> = Object.freeze({});

function endpointOf(candidate: Candidate, table: RoutingTable, byok: ByokContext): Endpoint | null {
  const model = candidate.model ?? "";
  if (candidate.provider === "custom") {
    // The user's endpoint: their key only, never the operator's key or headers.
    return {
      baseUrl: byok.custom?.baseUrl ?? null,
      operatorKeys: null,
      headers: NO_HEADERS,
      userKey: "custom",
      responsesApi: false,
      target: plainTarget(model),
    };
  }
  const named = table.connections?.get(candidate.connection);
  if (named !== undefined) {
    return {
      baseUrl: named.baseUrl,
      operatorKeys: named.keys,
      headers: named.headers,
      userKey: userKeyProviderOf(named.kind),
      responsesApi: named.responsesApi,
      target: { model, apiVersion: named.apiVersion, deployments: named.deployments },
    };
  }
  const id = candidate.provider as ProviderId;
  const own = table.providers.get(id);
  if (own === undefined) return null;
  return {
    baseUrl: own.baseUrl,
    operatorKeys: own.keys,
    headers: NO_HEADERS,
    userKey: id,
    responsesApi: id === "openai",
    target: plainTarget(model),
  };
}

const ALL_MODEL_CAPABILITIES: ReadonlySet<Capability> = new Set(MODEL_CAPABILITIES);

/** The custom endpoint's capabilities: the feature's ceiling, narrowed to what the user declared at enrollment. */
function customCapabilities(feature: FeatureConfig, byok: ByokContext): ReadonlySet<Capability> {
  const declared = byok.custom?.capabilities ?? null;
  return new Set(
    feature.customCapabilities.filter((capability) => declared === null || declared.includes(capability)),
  );
}

function featureCandidates(
  name: string,
  feature: FeatureConfig,
  byok: ByokContext,
  table: RoutingTable,
): Candidate[] {
  const candidates: Candidate[] = [];
  if (feature.allowCustom) {
    candidates.push({
      connection: "custom",
      provider: "custom",
      model: byok.custom?.model ?? null,
      params: {},
      capabilities: customCapabilities(feature, byok),
      byokOnly: true,
      capabilitySettings: ["the enrollment's custom.capabilities", `features.${name}.customCapabilities`],
    });
  }
  const fromConfig =
    (list: "routes" | "byokRoutes") => (route: FeatureConfig["routes"][number], index: number) => {
      const named = route.connection === undefined ? undefined : table.connections?.get(route.connection);
      // The configuration checks every route's connection exists; a table without it serves nothing there.
      if (route.connection !== undefined && named === undefined) return;
      const provider: AdapterId | undefined = named?.kind ?? route.provider;
      if (provider === undefined) return;
      const own = `features.${name}.${list}[${index}].capabilities`;
      candidates.push({
        connection: route.connection ?? provider,
        provider,
        model: route.model,
        params: route.params,
        capabilities: route.capabilities
          ? new Set(route.capabilities)
          : (named?.capabilities ?? table.registry.get(provider)?.capabilitiesOf(route.model) ?? new Set()),
        byokOnly: list === "byokRoutes",
        capabilitySettings:
          route.connection === undefined || route.capabilities !== undefined
            ? [own]
            : [own, `connections.${route.connection}.capabilities`],
      });
    };
  feature.byokRoutes.forEach(fromConfig("byokRoutes"));
  feature.routes.forEach(fromConfig("routes"));
  return candidates;
}

function directCandidate(
  provider: ProviderId,
  model: string,
  table: RoutingTable,
  byok: ByokContext,
): Candidate {
  const adapter = table.registry.get(provider);
  const known = adapter?.capabilitiesOf(model);
  // `custom/<model>`: what the user declared at enrollment, else anything a model may do.
  const declared = provider === "custom" ? byok.custom?.capabilities : undefined;
  return {
    connection: provider,
    provider,
    model,
    params: {},
    capabilities: declared
      ? new Set(declared)
      : provider === "custom" || known === undefined || known.size === 0
        ? ALL_MODEL_CAPABILITIES
        : known,
    byokOnly: true,
    capabilitySettings: provider === "custom" ? ["the enrollment's custom.capabilities"] : [],
  };
}

/** Whether the candidate's adapter has a path for the operation at all (whatever its capabilities). */
function servesOperation(
  candidate: Candidate,
  operation: Operation,
  table: RoutingTable,
  byok: ByokContext,
): boolean {
  const endpoint = endpointOf(candidate, table, byok);
  return (
    endpoint !== null &&
    table.registry.get(candidate.provider)?.pathFor(operation, endpoint.target) !== undefined
  );
}

function canServe(
  candidate: Candidate,
  operation: Operation,
  needs: ReadonlySet<Capability>,
  table: RoutingTable,
  byok: ByokContext,
): boolean {
  return (
    servesOperation(candidate, operation, table, byok) &&
    [...needs].every((need) => candidate.capabilities.has(need))
  );
}

function needsOf(operation: Operation, feature: FeatureConfig | null, extra: readonly Capability[]) {
  return new Set<Capability>([
    operation === "chat" ? "chat" : operation,
    ...(feature?.needs ?? []),
    ...extra,
  ]);
}

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

export function resolveRoute(table: RoutingTable, request: RouteRequest, byok: ByokContext): RouteDecision {
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

  for (const candidate of capable) {
    const endpoint = endpointOf(candidate, table, byok);
    // A user's key for provider P serves only connections of kind P (never openai_compatible or azure).
    const key = endpoint?.userKey == null ? undefined : byok.keys[endpoint.userKey];
    if (key === undefined || endpoint === null || endpoint.baseUrl === null) continue;
    return { ok: true, route: route(candidate, "byok", key, endpoint) };
  }
  if (feature?.operatorFallback === true) {
    for (const candidate of capable) {
      if (candidate.byokOnly) continue;
      const endpoint = endpointOf(candidate, table, byok);
      const picked = endpoint?.baseUrl == null ? null : (endpoint.operatorKeys?.pick() ?? null);
      if (endpoint != null && picked !== null) {
        return {
          ok: true,
          route: {
            ...route(candidate, "operator", picked.key, endpoint),
            operatorKey: { pool: endpoint.operatorKeys!, slot: picked.slot },
          },
        };
      }
    }
  }

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

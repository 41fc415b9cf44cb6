/**
 * @module routing/resolve-route
 * Routing (docs/features-and-routing.md) as one pure function for every request and every route, custom included: candidates in
 * order, the first the user holds a key for (BYOK-served), else the operator's where allowed, else a clear error.
 */
import { type Capability, type FeatureConfig, MODEL_CAPABILITIES } from "../config/feature-schema.ts";
import type { ProviderId } from "../keys/provider-ids.ts";
import type { SecretKey } from "../keys/secret-key.ts";
import type { Operation, ProviderRegistry } from "../providers/index.ts";
import type { ByokContext } from "../validation/byok-context.ts";
import { parseModelName } from "./parse-model-name.ts";
import type { Route, RouteDecision } from "./route.ts";

export interface OperatorProvider {
  /** The configured or default base URL (null: none, e.g. custom). */
  readonly baseUrl: string | null;
  readonly key: SecretKey | null;
}

export interface RoutingTable {
  readonly features: Readonly<Record<string, FeatureConfig>>;
  readonly allowDirect: boolean;
  readonly providers: ReadonlyMap<ProviderId, OperatorProvider>;
  readonly registry: ProviderRegistry;
}

export interface RouteRequest {
  /** The request's `model` field, untrusted. */
  readonly model: unknown;
  readonly operation: Operation;
  /** Capabilities the request itself uses (streaming, tools, json_schema, vision). */
  readonly needs: readonly Capability[];
}

interface Candidate {
  readonly provider: ProviderId;
  readonly model: string | null;
  readonly params: Readonly<Record<string, unknown>>;
  readonly capabilities: ReadonlySet<Capability>;
  /** byokRoutes, the custom endpoint and direct calls are never served on the operator's key. */
  readonly byokOnly: boolean;
}

const ALL_MODEL_CAPABILITIES: ReadonlySet<Capability> = new Set(MODEL_CAPABILITIES);

function featureCandidates(feature: FeatureConfig, byok: ByokContext, table: RoutingTable): Candidate[] {
  const candidates: Candidate[] = [];
  if (feature.allowCustom) {
    candidates.push({
      provider: "custom",
      model: byok.custom?.model ?? null,
      params: {},
      capabilities: new Set(feature.customCapabilities),
      byokOnly: true,
    });
  }
  const fromConfig = (byokOnly: boolean) => (route: FeatureConfig["routes"][number]) =>
    candidates.push({
      provider: route.provider,
      model: route.model,
      params: route.params,
      capabilities: route.capabilities
        ? new Set(route.capabilities)
        : (table.registry.get(route.provider)?.capabilitiesOf(route.model) ?? new Set()),
      byokOnly,
    });
  feature.byokRoutes.forEach(fromConfig(true));
  feature.routes.forEach(fromConfig(false));
  return candidates;
}

function directCandidate(provider: ProviderId, model: string, table: RoutingTable): Candidate {
  const adapter = table.registry.get(provider);
  const known = adapter?.capabilitiesOf(model);
  return {
    provider,
    model,
    params: {},
    capabilities:
      provider === "custom" || known === undefined || known.size === 0 ? ALL_MODEL_CAPABILITIES : known,
    byokOnly: true,
  };
}

function canServe(
  candidate: Candidate,
  operation: Operation,
  needs: ReadonlySet<Capability>,
  table: RoutingTable,
): boolean {
  return (
    table.registry.get(candidate.provider)?.paths[operation] !== undefined &&
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
  const all = featureCandidates(feature, byok, table);
  const configured = all.filter((candidate) => candidate.provider !== "custom");
  const candidates = configured.length > 0 ? configured : all;
  return OPERATIONS.filter((operation) => {
    const needs = needsOf(operation, feature, []);
    return candidates.some((candidate) => canServe(candidate, operation, needs, table));
  });
}

export function resolveRoute(table: RoutingTable, request: RouteRequest, byok: ByokContext): RouteDecision {
  const name = parseModelName(request.model);
  if (name.kind === "invalid") return { ok: false, error: "model_not_found", message: name.reason };

  let feature: FeatureConfig | null = null;
  let candidates: Candidate[];
  if (name.kind === "feature") {
    feature = Object.hasOwn(table.features, name.name) ? table.features[name.name]! : null;
    if (feature === null) {
      return {
        ok: false,
        error: "model_not_found",
        message: `The model \`${name.name}\` is not a feature of this app.`,
      };
    }
    candidates = featureCandidates(feature, byok, table);
  } else {
    if (!table.allowDirect) {
      return {
        ok: false,
        error: "model_not_found",
        message: "Direct provider/model calls are disabled; name a feature.",
      };
    }
    candidates = [directCandidate(name.provider, name.model, table)];
  }

  const needs = needsOf(request.operation, feature, request.needs);
  const capable = candidates.filter(
    (candidate) => candidate.model !== null && canServe(candidate, request.operation, needs, table),
  );

  const route = (candidate: Candidate, source: Route["source"], key: SecretKey, baseUrl: string): Route => ({
    feature: name.kind === "feature" ? name.name : null,
    provider: candidate.provider,
    model: candidate.model!,
    source,
    key,
    baseUrl,
    guarded: candidate.provider === "custom",
    params: candidate.params,
    capabilities: candidate.capabilities,
    promptCacheKey: feature?.promptCacheKey ?? "forward",
  });

  for (const candidate of capable) {
    const key = byok.keys[candidate.provider];
    if (key === undefined) continue;
    const baseUrl =
      candidate.provider === "custom"
        ? (byok.custom?.baseUrl ?? null)
        : (table.providers.get(candidate.provider)?.baseUrl ?? null);
    if (baseUrl !== null) return { ok: true, route: route(candidate, "byok", key, baseUrl) };
  }
  if (feature?.operatorFallback === true) {
    for (const candidate of capable) {
      if (candidate.byokOnly) continue;
      const operator = table.providers.get(candidate.provider);
      if (operator?.key && operator.baseUrl !== null) {
        return { ok: true, route: route(candidate, "operator", operator.key, operator.baseUrl) };
      }
    }
  }

  const label = name.kind === "feature" ? `Feature \`${name.name}\`` : `\`${name.provider}/${name.model}\``;
  if (capable.length === 0) {
    return {
      ok: false,
      error: "no_route",
      message: `${label} has no route that can serve this request (needs ${[...needs].join(", ")}).`,
    };
  }
  const providers = [...new Set(capable.map((candidate) => candidate.provider))].join(", ");
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

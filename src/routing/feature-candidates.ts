/**
 * @module routing/feature-candidates
 * What a name may be served by, before whose key is known: a feature's candidates in order (the custom
 * endpoint, byokRoutes, routes) or a direct call's one, where each is served, and whether it can serve.
 */
import { type Capability, type FeatureConfig, MODEL_CAPABILITIES } from "../config/feature-schema.ts";
import type { ProviderId } from "../keys/provider-ids.ts";
import type { SecretKey } from "../keys/secret-key.ts";
import { type AdapterId, type Operation, type PathTarget, plainTarget } from "../providers/index.ts";
import type { OperatorKeyPool } from "../resilience/operator-key-pool.ts";
import type { ByokContext } from "../validation/byok-context.ts";
import { userKeyProviderOf } from "./connection.ts";
import type { RoutingTable } from "./routing-table.ts";

export interface Candidate {
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
export interface Endpoint {
  readonly baseUrl: string | null;
  readonly operatorKeys: OperatorKeyPool | null;
  readonly headers: Readonly<Record<string, SecretKey>>;
  readonly userKey: ProviderId | null;
  readonly responsesApi: boolean;
  readonly target: PathTarget;
}

const NO_HEADERS: Readonly<Record<string, SecretKey>> = Object.freeze({});

export function endpointOf(candidate: Candidate, table: RoutingTable, byok: ByokContext): Endpoint | null {
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

const customCeilings = new WeakMap<FeatureConfig, ReadonlySet<Capability>>();

/** The custom endpoint's capabilities: the feature's ceiling, narrowed to what the user declared at enrollment. */
function customCapabilities(feature: FeatureConfig, byok: ByokContext): ReadonlySet<Capability> {
  const declared = byok.custom?.capabilities ?? null;
  if (declared === null) {
    // Nothing declared: the feature's ceiling itself, one set per feature.
    let ceiling = customCeilings.get(feature);
    if (ceiling === undefined) {
      ceiling = new Set(feature.customCapabilities);
      customCeilings.set(feature, ceiling);
    }
    return ceiling;
  }
  return new Set(
    feature.customCapabilities.filter((capability) => declared === null || declared.includes(capability)),
  );
}

export function featureCandidates(
  name: string,
  feature: FeatureConfig,
  byok: ByokContext,
  table: RoutingTable,
): Candidate[] {
  const configured = configuredCandidates(name, feature, table);
  if (!feature.allowCustom) return [...configured];
  return [
    {
      connection: "custom",
      provider: "custom",
      model: byok.custom?.model ?? null,
      params: {},
      capabilities: customCapabilities(feature, byok),
      byokOnly: true,
      capabilitySettings: ["the enrollment's custom.capabilities", `features.${name}.customCapabilities`],
    },
    ...configured,
  ];
}

/**
 * A feature's configured candidates (byokRoutes, then routes) depend only on the table and the feature:
 * built once per table and feature name, frozen, and shared by every request after.
 */
const configuredByTable = new WeakMap<
  RoutingTable,
  Map<string, { readonly feature: FeatureConfig; readonly candidates: readonly Candidate[] }>
>();

function configuredCandidates(
  name: string,
  feature: FeatureConfig,
  table: RoutingTable,
): readonly Candidate[] {
  let byName = configuredByTable.get(table);
  if (byName === undefined) {
    byName = new Map();
    configuredByTable.set(table, byName);
  }
  const cached = byName.get(name);
  if (cached !== undefined && cached.feature === feature) return cached.candidates;
  const candidates = Object.freeze(
    buildConfiguredCandidates(name, feature, table).map((candidate) => Object.freeze(candidate)),
  );
  byName.set(name, { feature, candidates });
  return candidates;
}

function buildConfiguredCandidates(name: string, feature: FeatureConfig, table: RoutingTable): Candidate[] {
  const candidates: Candidate[] = [];
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

export function directCandidate(
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
export function servesOperation(
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

export function canServe(
  candidate: Candidate,
  operation: Operation,
  needs: ReadonlySet<Capability>,
  table: RoutingTable,
  byok: ByokContext,
): boolean {
  return servesOperation(candidate, operation, table, byok) && hasAll(candidate.capabilities, needs);
}

function hasAll(capabilities: ReadonlySet<Capability>, needs: ReadonlySet<Capability>): boolean {
  for (const need of needs) if (!capabilities.has(need)) return false;
  return true;
}

/** A feature's needs for an operation when the request adds none: one set per feature and operation. */
const plainNeeds = new WeakMap<FeatureConfig, Map<Operation, ReadonlySet<Capability>>>();

export function needsOf(
  operation: Operation,
  feature: FeatureConfig | null,
  extra: readonly Capability[],
): ReadonlySet<Capability> {
  if (feature !== null && extra.length === 0) {
    let byOperation = plainNeeds.get(feature);
    if (byOperation === undefined) {
      byOperation = new Map();
      plainNeeds.set(feature, byOperation);
    }
    let needs = byOperation.get(operation);
    if (needs === undefined) {
      needs = buildNeeds(operation, feature, extra);
      byOperation.set(operation, needs);
    }
    return needs;
  }
  return buildNeeds(operation, feature, extra);
}

function buildNeeds(operation: Operation, feature: FeatureConfig | null, extra: readonly Capability[]) {
  return new Set<Capability>([
    operation === "chat" ? "chat" : operation,
    ...(feature?.needs ?? []),
    ...extra,
  ]);
}

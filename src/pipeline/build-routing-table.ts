/**
 * @module pipeline/build-routing-table
 * What routing and the upstream calls read from the configuration: the routing table (operator providers'
 * base URLs and keys, none for the custom endpoint; the named connections; refused when a default
 * feature cannot serve its ingress) and each route's time limits.
 */
import { ConfigError } from "../config/config-error.ts";
import type { GatewayConfig } from "../config/config-schema.ts";
import type { TimeoutsConfig } from "../config/feature-schema.ts";
import type { ApiKeysConfig, KeyPoolConfig } from "../config/operator-keys-schema.ts";
import { defaultEgressLimits, type UpstreamPoolOptions, type UpstreamTimeouts } from "../egress/index.ts";
import { isProviderId, PROVIDER_IDS, type ProviderId } from "../keys/provider-ids.ts";
import type { SecretKey } from "../keys/secret-key.ts";
import type { ProviderRegistry } from "../providers/index.ts";
import {
  createWeightedKeyPool,
  DEFAULT_KEY_POOL_TIMING,
  type KeyPoolHooks,
  type OperatorKeyPool,
  singleKeyPool,
} from "../resilience/index.ts";
import {
  type Connection,
  checkDefaultFeatures,
  indexAliases,
  type OperatorProvider,
  type Route,
  type RoutingTable,
} from "../routing/index.ts";

/** The egress guard's limits (docs/egress.md) for the custom endpoint, as defaults of `egress.timeouts`. */
const customEndpointTimeouts: UpstreamTimeouts = {
  connectMs: defaultEgressLimits.connectTimeoutMs,
  headersMs: defaultEgressLimits.headersTimeoutMs,
  bodyIdleMs: defaultEgressLimits.bodyIdleTimeoutMs,
  totalMs: defaultEgressLimits.totalTimeoutMs,
};

interface OperatorKeySettings {
  readonly apiKey?: SecretKey | undefined;
  readonly apiKeys?: ApiKeysConfig | undefined;
  readonly keyPool?: KeyPoolConfig | undefined;
}

/** A connection's operator keys: a weighted pool for `apiKeys`, a pool of one for `apiKey`, else none. */
function operatorKeysOf(
  connection: string,
  settings: OperatorKeySettings | undefined,
  hooks: KeyPoolHooks,
): OperatorKeyPool | null {
  if (settings?.apiKeys !== undefined) {
    const pool = createWeightedKeyPool({
      connection,
      keys: settings.apiKeys.map(({ apiKey, weight }) => ({ key: apiKey, weight })),
      timing: settings.keyPool ?? DEFAULT_KEY_POOL_TIMING,
      now: hooks.now,
      random: hooks.random,
      onKeyEvent: hooks.onKeyEvent,
    });
    hooks.onPoolBuilt?.(connection, pool);
    return pool;
  }
  return settings?.apiKey === undefined ? null : singleKeyPool(settings.apiKey);
}

/**
 * The routing table: the app's features, each provider's operator base URL and keys, the named connections.
 * Each call builds its own key pools (their rest times are state), reported through `keyPools`.
 */
export function buildRoutingTable(
  config: GatewayConfig,
  registry: ProviderRegistry,
  keyPools: KeyPoolHooks = {},
): RoutingTable {
  const providers = new Map<ProviderId, OperatorProvider>();
  for (const [id, adapter] of registry) {
    if (!isProviderId(id)) continue;
    const settings = config.providers[id];
    providers.set(id, {
      baseUrl: id === "custom" ? null : (settings?.baseUrl ?? adapter.defaultBaseUrl),
      // Operator keys never go to a user URL.
      keys: id === "custom" ? null : operatorKeysOf(id, settings, keyPools),
    });
  }
  const connections = new Map<string, Connection>();
  for (const [name, settings] of Object.entries(config.connections)) {
    connections.set(name, {
      name,
      kind: settings.kind,
      baseUrl: settings.baseUrl ?? registry.get(settings.kind)?.defaultBaseUrl ?? null,
      keys: operatorKeysOf(name, settings, keyPools),
      headers: settings.headers,
      capabilities: settings.capabilities === undefined ? null : new Set(settings.capabilities),
      responsesApi: settings.responsesApi ?? settings.kind === "openai",
      apiVersion: settings.apiVersion ?? null,
      deployments: settings.deployments ?? {},
    });
  }
  const table: RoutingTable = {
    features: config.features,
    aliases: indexAliases(config.features),
    allowDirect: config.routing.allowDirect,
    defaultFeatures: config.routing.defaultFeatures,
    providers,
    connections,
    registry,
    attemptPolicy: { fallback: config.routing.fallback, retry: config.routing.retry },
  };
  const issues = checkDefaultFeatures(table);
  if (issues.length > 0) throw new ConfigError(issues);
  return table;
}

interface ConnectionSettings {
  readonly timeouts?: TimeoutsConfig | undefined;
  readonly liveBaseUrl?: string | undefined;
  readonly maxConnections?: number | undefined;
  readonly http2?: boolean | undefined;
}

/** The configured settings of a route's connection: `connections.<name>`, else `providers.<id>`. */
function connectionSettingsOf(config: GatewayConfig, route: Route): ConnectionSettings | undefined {
  if (Object.hasOwn(config.connections, route.connection)) return config.connections[route.connection];
  return isProviderId(route.connection) ? config.providers[route.connection] : undefined;
}

/** A route's time limits: its connection's (the egress guard's for the custom endpoint), then the defaults. */
export function timeoutsFor(config: GatewayConfig, route: Route): UpstreamTimeouts {
  const base = route.guarded ? customEndpointTimeouts : config.upstream.timeouts;
  const own = route.guarded ? config.egress.timeouts : connectionSettingsOf(config, route)?.timeouts;
  return {
    connectMs: own?.connectMs ?? base.connectMs,
    headersMs: own?.headersMs ?? base.headersMs,
    bodyIdleMs: own?.bodyIdleMs ?? base.bodyIdleMs,
    totalMs: own?.totalMs ?? base.totalMs,
  };
}

/** A speech-to-text route's live (WebSocket) base: its connection's `liveBaseUrl`, else the REST base as ws(s). */
export function liveBaseUrlFor(config: GatewayConfig, route: Route): string {
  const configured = route.guarded ? undefined : connectionSettingsOf(config, route)?.liveBaseUrl;
  return (configured ?? route.baseUrl.replace(/^http/i, "ws")).replace(/\/+$/, "");
}

/**
 * Each configured connection's upstream pool (`maxConnections`, `http2`, else `upstream.*`), built once and
 * looked up by connection name per call; a guarded (custom endpoint) call's pool is the egress guard's own.
 */
export function buildUpstreamPools(config: GatewayConfig): ReadonlyMap<string, UpstreamPoolOptions> {
  const pools = new Map<string, UpstreamPoolOptions>();
  const add = (label: string, own: ConnectionSettings | undefined) =>
    pools.set(label, {
      label,
      maxConnections: own?.maxConnections ?? config.upstream.maxConnectionsPerOrigin,
      http2: own?.http2 ?? config.upstream.http2,
    });
  for (const id of PROVIDER_IDS) if (id !== "custom") add(id, config.providers[id]);
  for (const [name, settings] of Object.entries(config.connections)) add(name, settings);
  return pools;
}

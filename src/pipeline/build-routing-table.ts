/**
 * @module pipeline/build-routing-table
 * What routing and the upstream calls read from the configuration: the routing table (operator providers'
 * base URLs and keys; none for the custom endpoint) and each route's time limits.
 */
import type { GatewayConfig } from "../config/config-schema.ts";
import { defaultEgressLimits, type UpstreamTimeouts } from "../egress/index.ts";
import type { ProviderId } from "../keys/provider-ids.ts";
import type { ProviderRegistry } from "../providers/index.ts";
import type { OperatorProvider, Route, RoutingTable } from "../routing/index.ts";

/** The egress guard's limits (docs/egress.md) for the custom endpoint, as defaults of `egress.timeouts`. */
const customEndpointTimeouts: UpstreamTimeouts = {
  connectMs: defaultEgressLimits.connectTimeoutMs,
  headersMs: defaultEgressLimits.headersTimeoutMs,
  bodyIdleMs: defaultEgressLimits.bodyIdleTimeoutMs,
  totalMs: defaultEgressLimits.totalTimeoutMs,
};

/** The routing table: the app's features and each provider's operator base URL and key. */
export function buildRoutingTable(config: GatewayConfig, registry: ProviderRegistry): RoutingTable {
  const providers = new Map<ProviderId, OperatorProvider>();
  for (const [id, adapter] of registry) {
    const settings = config.providers[id];
    providers.set(id, {
      baseUrl: id === "custom" ? null : (settings?.baseUrl ?? adapter.defaultBaseUrl),
      key: id === "custom" ? null : (settings?.apiKey ?? null), // operator keys never go to a user URL
    });
  }
  return { features: config.features, allowDirect: config.routing.allowDirect, providers, registry };
}

/** A route's time limits: its provider's (the egress guard's for the custom endpoint), then the defaults. */
export function timeoutsFor(config: GatewayConfig, route: Route): UpstreamTimeouts {
  const base = route.guarded ? customEndpointTimeouts : config.upstream.timeouts;
  const own = route.guarded ? config.egress.timeouts : config.providers[route.provider]?.timeouts;
  return {
    connectMs: own?.connectMs ?? base.connectMs,
    headersMs: own?.headersMs ?? base.headersMs,
    bodyIdleMs: own?.bodyIdleMs ?? base.bodyIdleMs,
    totalMs: own?.totalMs ?? base.totalMs,
  };
}

/**
 * @module library/create-configured-upstream
 * The upstream client as the configuration sizes it (`upstream.*`, `egress.maxConnectionsPerOrigin`), its
 * pools read by the `byok_upstream_pool_*` gauges.
 */
import type { GatewayConfig } from "../config/config-schema.ts";
import { createUpstreamClient, type EgressPolicy, type UpstreamClient } from "../egress/index.ts";
import type { GatewayMetrics } from "../telemetry/index.ts";

export function createConfiguredUpstream(
  config: GatewayConfig,
  policy: EgressPolicy,
  metrics: GatewayMetrics,
): UpstreamClient {
  const upstream = createUpstreamClient({
    policy,
    maxOrigins: config.upstream.maxOrigins,
    maxResponseBytes: config.upstream.maxResponseBytes,
    connectionsPerOrigin: config.upstream.maxConnectionsPerOrigin,
    http2: config.upstream.http2,
    customConnectionsPerOrigin: config.egress.maxConnectionsPerOrigin,
  });
  metrics.watchUpstreamPools(upstream.poolStats);
  return upstream;
}

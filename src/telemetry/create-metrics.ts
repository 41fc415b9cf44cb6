/**
 * @module telemetry/create-metrics
 * The Prometheus registry (prom-client) and the gateway's counters; labels are stable codes, never keys or URLs.
 */
import { Counter, collectDefaultMetrics, Registry } from "prom-client";

export interface GatewayMetrics {
  readonly registry: Registry;
  /** Egress refusals by reason code (docs/egress.md). */
  readonly egressDenied: Counter<"reason">;
}

export function createMetrics(options: { collectDefaults?: boolean } = {}): GatewayMetrics {
  const registry = new Registry();
  if (options.collectDefaults ?? true) collectDefaultMetrics({ register: registry, prefix: "byok_" });
  const egressDenied = new Counter({
    name: "byok_egress_denied_total",
    help: "Outbound requests and URL validations refused by the egress guard, by reason code.",
    labelNames: ["reason"] as const,
    registers: [registry],
  });
  return { registry, egressDenied };
}

/**
 * @module telemetry/register-upstream-pool-gauges
 * The upstream pools' queues in /metrics: gauges read from the pools on each scrape (never per request),
 * labelled by connection name (`custom` for every user-named origin, never a URL).
 */
import { Gauge, type Registry } from "prom-client";

/** One label's pools as the upstream client sums them (egress's `UpstreamPoolStats`). */
export interface UpstreamPoolSample {
  readonly label: string;
  readonly pools: number;
  readonly connected: number;
  readonly free: number;
  readonly running: number;
  readonly pending: number;
  readonly queued: number;
}

export type UpstreamPoolReader = () => readonly UpstreamPoolSample[];

/** Registers the gauges; `reader()` is asked on every scrape once `watch` gave one. */
export function registerUpstreamPoolGauges(registry: Registry): (reader: UpstreamPoolReader) => void {
  let read: UpstreamPoolReader = () => [];
  const registers = [registry];
  const requests = new Gauge({
    name: "byok_upstream_pool_requests",
    help: "Upstream requests by pool state: running on a socket, pending on one, queued waiting for a connection.",
    labelNames: ["connection", "state"] as const,
    registers,
    collect() {
      requests.reset();
      for (const sample of read()) {
        requests.set({ connection: sample.label, state: "running" }, sample.running);
        requests.set({ connection: sample.label, state: "pending" }, sample.pending);
        requests.set({ connection: sample.label, state: "queued" }, sample.queued);
      }
    },
  });
  const connections = new Gauge({
    name: "byok_upstream_pool_connections",
    help: "Upstream sockets open by connection: connected (in use or not) and free (idle, kept alive).",
    labelNames: ["connection", "state"] as const,
    registers,
    collect() {
      connections.reset();
      for (const sample of read()) {
        connections.set({ connection: sample.label, state: "connected" }, sample.connected);
        connections.set({ connection: sample.label, state: "free" }, sample.free);
      }
    },
  });
  const pools = new Gauge({
    name: "byok_upstream_pools",
    help: "Upstream pools open by connection (one per origin; `custom` counts every user-named origin).",
    labelNames: ["connection"] as const,
    registers,
    collect() {
      pools.reset();
      for (const sample of read()) pools.set({ connection: sample.label }, sample.pools);
    },
  });
  return (reader) => {
    read = reader;
  };
}

/**
 * @module bench/peers/ipc-echo-peer
 * A forked process that answers a rate-limit hit over the cluster's IPC endpoint from an in-process
 * limiter, as a cluster primary answers its workers: the scale bench's round-trip floor for IPC admission;
 * and the primary's rate-limiter host (leases of hits), as `serve --workers N` runs it.
 */
import { createIpcEndpoint, type IpcPort } from "../../src/cluster/index.ts";
import { createRateLimiterHost } from "../../src/metering/rate-limits/create-rate-limiter-host.ts";
import { createLocalRateLimiter } from "../../src/metering/rate-limits/index.ts";

const limiter = createLocalRateLimiter();
const endpoint = createIpcEndpoint(process as unknown as IpcPort);
endpoint.handle("bench.hit", (payload) => {
  const { key } = payload as { key: string };
  return limiter.hit(key, 1_000_000_000, 60_000);
});
createRateLimiterHost({ users: createLocalRateLimiter() }).attach(1, endpoint);
endpoint.onClose(() => process.exit(0));
endpoint.notify("bench.ready", null);

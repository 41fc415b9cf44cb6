/**
 * @module bench/peers/ipc-echo-peer
 * A forked process that answers a rate-limit hit over the cluster's IPC endpoint from an in-process
 * limiter, as a cluster primary answers its workers: the scale bench's round-trip floor for IPC admission.
 */
import { createIpcEndpoint, type IpcPort } from "../../src/cluster/index.ts";
import { createLocalRateLimiter } from "../../src/metering/rate-limits/index.ts";

const limiter = createLocalRateLimiter();
const endpoint = createIpcEndpoint(process as unknown as IpcPort);
endpoint.handle("bench.hit", (payload) => {
  const { key } = payload as { key: string };
  return limiter.hit(key, 1_000_000_000, 60_000);
});
endpoint.onClose(() => process.exit(0));
endpoint.notify("bench.ready", null);

/**
 * @module cluster/join-cluster
 * In a worker forked by the gateway's primary: the IPC endpoint to the primary, and leaving the cluster
 * (disconnecting, so the process can exit) once the worker has shut down. Null in any other process,
 * including a cluster worker of an application that embeds the library.
 */
import cluster from "node:cluster";
import { createIpcEndpoint, type IpcEndpoint, type IpcPort } from "./create-ipc-endpoint.ts";

/** Set by the primary in its workers' environment, so only our own workers talk to it. */
export const WORKER_ENV = "BYOK_CLUSTER_WORKER";

export interface ClusterMembership {
  readonly endpoint: IpcEndpoint;
  /** The worker's number (1, 2, …) as the primary counts them. */
  readonly workerId: number;
  /** Closes the endpoint and the channel; the process may then exit. */
  leave(): void;
}

export function joinCluster(): ClusterMembership | null {
  if (!cluster.isWorker || process.env[WORKER_ENV] !== "1" || process.send === undefined) return null;
  const endpoint = createIpcEndpoint(process as unknown as IpcPort);
  return {
    endpoint,
    workerId: cluster.worker?.id ?? 0,
    leave() {
      endpoint.close();
      if (process.connected) process.disconnect();
    },
  };
}

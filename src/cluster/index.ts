/**
 * @module cluster
 * Worker processes: the only owner of `node:cluster` and the IPC channel between the primary and its workers.
 */
export {
  CLUSTER_UNAVAILABLE,
  clusterUnavailable,
  createIpcEndpoint,
  type IpcEndpoint,
  type IpcEndpointOptions,
  type IpcHandler,
  type IpcPort,
} from "./create-ipc-endpoint.ts";
export { type ClusterMembership, joinCluster, WORKER_ENV } from "./join-cluster.ts";
export {
  type ClusterWorker,
  STOP_SERVICE,
  startWorkerCluster,
  type WorkerCluster,
  type WorkerClusterOptions,
} from "./start-worker-cluster.ts";

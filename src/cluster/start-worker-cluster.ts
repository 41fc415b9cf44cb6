/**
 * @module cluster/start-worker-cluster
 * The primary's side of `serve --workers N`: forks N workers that share the listening port, gives each an
 * IPC endpoint, replaces one that dies unexpectedly (bounded backoff, a log line), and on `stop()` asks
 * every worker to shut down gracefully and waits for all of them (a backstop kills any left behind).
 */
import cluster, { type Worker } from "node:cluster";
import type { Logger } from "../telemetry/create-logger.ts";
import { createIpcEndpoint, type IpcEndpoint, type IpcPort } from "./create-ipc-endpoint.ts";
import { WORKER_ENV } from "./join-cluster.ts";

/** The notice a worker receives when it must shut down gracefully. */
export const STOP_SERVICE = "cluster.stop";

export interface ClusterWorker {
  /** 1, 2, … in fork order; a replacement gets a new number. */
  readonly id: number;
  readonly pid: number;
  readonly endpoint: IpcEndpoint;
}

export interface WorkerClusterOptions {
  readonly count: number;
  readonly logger: Logger;
  /** Attach the primary's services to a new worker's endpoint (before it can send anything). */
  readonly onWorker: (worker: ClusterWorker) => void;
  /** A worker is gone (exited or killed): release what it held. */
  readonly onWorkerGone: (worker: ClusterWorker) => void;
  /** After `stop()`, how long workers get before they are killed: their own shutdown deadline plus margin. */
  readonly stopBackstopMs: number;
  /** First restart delay; doubled for each quick death in a row, up to `maxRestartDelayMs`. Default 100. */
  readonly minRestartDelayMs?: number;
  /** Default 10 000. */
  readonly maxRestartDelayMs?: number;
}

export interface WorkerCluster {
  /** Workers alive now. */
  readonly workers: () => readonly ClusterWorker[];
  /** Resolves once every worker has listened once (rejects when one exits before). */
  readonly ready: Promise<void>;
  /** Graceful: every worker finishes its calls in flight, then exits; resolves when all are gone. */
  stop(): Promise<void>;
  /** Kills one worker now (SIGKILL; it is replaced as any dead worker is), with the reason logged. */
  kill(workerId: number, reason: string): void;
}

/** A worker that lived shorter than this died "quickly": the next restart waits longer. */
const STABLE_AFTER_MS = 10_000;

export function startWorkerCluster(options: WorkerClusterOptions): WorkerCluster {
  const { logger } = options;
  const minDelay = options.minRestartDelayMs ?? 100;
  const maxDelay = options.maxRestartDelayMs ?? 10_000;
  const alive = new Map<Worker, ClusterWorker>();
  const restartTimers = new Set<NodeJS.Timeout>();
  const allGone = Promise.withResolvers<void>();
  const ready = Promise.withResolvers<void>();
  void ready.promise.catch(() => {});
  let listened = 0;
  let quickDeaths = 0;
  let stopping = false;

  function fork(): void {
    const worker = cluster.fork({ [WORKER_ENV]: "1" });
    const startedAt = Date.now();
    const pid = worker.process.pid ?? 0;
    const entry: ClusterWorker = {
      id: worker.id,
      pid,
      endpoint: createIpcEndpoint(worker as unknown as IpcPort),
    };
    alive.set(worker, entry);
    options.onWorker(entry);
    worker.once("listening", (address) => {
      logger.info({ worker: entry.id, workerPid: pid, port: address.port }, "worker listening");
      listened++;
      if (listened === options.count) ready.resolve();
    });
    worker.once("exit", (code, signal) => {
      alive.delete(worker);
      entry.endpoint.close();
      options.onWorkerGone(entry);
      if (stopping) {
        logger.info({ worker: entry.id, workerPid: pid, code, signal }, "worker stopped");
        if (alive.size === 0) allGone.resolve();
        return;
      }
      if (listened < options.count) ready.reject(new Error(`worker ${pid} exited before listening`));
      quickDeaths = Date.now() - startedAt < STABLE_AFTER_MS ? quickDeaths + 1 : 0;
      const delayMs = Math.min(maxDelay, minDelay * 2 ** Math.max(0, quickDeaths - 1));
      logger.error(
        { worker: entry.id, workerPid: pid, code, signal, restartInMs: delayMs },
        "worker exited unexpectedly; starting a replacement",
      );
      const timer = setTimeout(() => {
        restartTimers.delete(timer);
        if (!stopping) fork();
      }, delayMs);
      restartTimers.add(timer);
    });
  }

  for (let index = 0; index < options.count; index++) fork();

  return {
    workers: () => [...alive.values()],
    ready: ready.promise,
    stop() {
      if (stopping) return allGone.promise;
      stopping = true;
      for (const timer of restartTimers) clearTimeout(timer);
      restartTimers.clear();
      if (alive.size === 0) allGone.resolve();
      for (const entry of alive.values()) entry.endpoint.notify(STOP_SERVICE, null);
      const backstop = setTimeout(() => {
        for (const [worker, entry] of alive) {
          logger.error({ worker: entry.id, workerPid: entry.pid }, "worker did not stop in time; killing it");
          worker.process.kill("SIGKILL");
        }
      }, options.stopBackstopMs);
      backstop.unref();
      return allGone.promise.finally(() => clearTimeout(backstop));
    },
    kill(workerId, reason) {
      for (const [worker, entry] of alive) {
        if (entry.id !== workerId) continue;
        logger.error({ worker: entry.id, workerPid: entry.pid, reason }, "killing a worker");
        worker.process.kill("SIGKILL");
      }
    },
  };
}

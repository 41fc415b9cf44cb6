/**
 * @module cli/serve-workers
 * The primary of `serve --workers N`: does once what must happen once (the config check, the generated
 * pepper file, the store's migrations: the store is opened and closed before any fork), hosts what the
 * workers share over IPC (invalidation relay, rate limiters, listen tickets), keeps N workers running,
 * and on SIGTERM/SIGINT stops them all gracefully, then exits 0.
 */
import { startWorkerCluster, type WorkerCluster } from "../cluster/index.ts";
import type { GatewayConfig } from "../config/config-schema.ts";
import { createByok } from "../library/create-byok.ts";
import { createCoordinationHost } from "../library/create-worker-coordination.ts";
import { createLogger } from "../telemetry/create-logger.ts";
import { BACKSTOP_MS } from "./shutdown-backstop.ts";

export async function serveWorkers(config: GatewayConfig, count: number): Promise<number> {
  const logger = createLogger({ level: config.log.level }).child({ role: "primary" });
  // Migrations and the pepper file, once: workers then never race on them.
  const prepared = await createByok({ config, logger });
  const store = prepared.store.kind;
  await prepared.close({ deadlineMs: 0 });

  // A worker that cannot confirm an invalidation is replaced: no stale cache may keep serving.
  let cluster: WorkerCluster | null = null;
  const host = createCoordinationHost({
    config,
    logger,
    onStaleWorker: (workerId) => cluster?.kill(workerId, "it did not confirm an invalidation in time"),
  });
  logger.info({ workers: count, store, production: config.production }, "starting byok-gateway workers");
  cluster = startWorkerCluster({
    count,
    logger,
    onWorker: (worker) => host.attach(worker.id, worker.endpoint),
    onWorkerGone: (worker) => host.detach(worker.id),
    // Each worker cuts its calls at the shutdown deadline and exits by its own backstop after that.
    stopBackstopMs: config.server.shutdownTimeoutMs + 2 * BACKSTOP_MS,
  });
  const started = cluster;
  return new Promise<number>((resolveExit) => {
    const stop = (signal: NodeJS.Signals) => {
      logger.info(
        { signal, timeoutMs: config.server.shutdownTimeoutMs },
        "shutting down: every worker finishes its in-flight requests",
      );
      void started.stop().then(() => {
        logger.info("all workers stopped");
        resolveExit(0);
      });
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
    // A worker that fails before every worker listened once is a start-up failure (a port in use, an
    // unreachable database): stop the rest and exit non-zero, as a single process would.
    started.ready.then(
      () => logger.info({ workers: count }, "all workers listening"),
      (error: unknown) => {
        logger.error({ err: error }, "a worker exited before listening: not starting");
        process.removeListener("SIGTERM", stop);
        process.removeListener("SIGINT", stop);
        void started.stop().then(() => resolveExit(1));
      },
    );
  });
}

/**
 * @module cli/serve
 * `byok-gateway serve`: load config, build the server, listen, and on SIGTERM/SIGINT close it within its
 * deadline; with `--workers N` (N > 1) the primary of a worker cluster (`serve-workers.ts`) instead.
 */
import { availableParallelism } from "node:os";
import { type ClusterMembership, joinCluster, STOP_SERVICE } from "../cluster/index.ts";
import type { GatewayConfig } from "../config/config-schema.ts";
import { loadConfig } from "../config/load-config.ts";
import { createGatewayServer } from "../http/create-gateway-server.ts";
import { createByok } from "../library/create-byok.ts";
import { serveWorkers } from "./serve-workers.ts";
import { BACKSTOP_MS } from "./shutdown-backstop.ts";

/** `--workers`, else `server.workers`, else every core in production mode and one otherwise. */
export function workerCount(config: GatewayConfig, flag: number | undefined): number {
  return flag ?? config.server.workers ?? (config.production ? availableParallelism() : 1);
}

/** Parses `--workers`: a whole number from 1; anything else is a usage error (thrown as RangeError). */
export function parseWorkersFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 1024)
    throw new RangeError("--workers must be a whole number from 1 to 1024");
  return Number(value);
}

export async function serve(configFile: string | undefined, workersFlag?: number): Promise<number> {
  const config = loadConfig({ file: configFile });
  const membership = joinCluster();
  if (membership !== null) return serveOne(config, membership);
  const count = workerCount(config, workersFlag);
  return count > 1 ? serveWorkers(config, count) : serveOne(config, null);
}

/** Addresses only this machine reaches. */
const isLoopback = (host: string) => host === "localhost" || host === "::1" || host.startsWith("127.");

/** One gateway in this process: the whole gateway, or one worker of a cluster. */
async function serveOne(config: GatewayConfig, membership: ClusterMembership | null): Promise<number> {
  // A stop asked for while still starting is honoured once listening.
  let stopAsked: NodeJS.Signals | "primary" | null = null;
  let stop = (reason: NodeJS.Signals | "primary") => {
    stopAsked ??= reason;
  };
  const onSignal = (signal: NodeJS.Signals) => stop(signal);
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  membership?.endpoint.handle(STOP_SERVICE, () => stop("primary"));
  // A worker whose primary is gone has no one to coordinate with: it stops too.
  membership?.endpoint.onClose(() => stop("primary"));

  const byok = await createByok({ config, ...(membership ? { cluster: membership.endpoint } : {}) });
  const { logger } = byok;
  logger.info(
    {
      production: config.production,
      store: byok.store.kind,
      auth: config.auth.mode,
      adminApi: config.adminToken !== undefined,
      ...(membership ? { worker: membership.workerId } : {}),
    },
    membership ? "starting byok-gateway worker" : "starting byok-gateway",
  );
  let app: Awaited<ReturnType<typeof createGatewayServer>> | undefined;
  try {
    app = await createGatewayServer(byok);
    await app.listen({ port: config.server.port, host: config.server.host });
  } catch (error) {
    // A start that cannot listen (a port in use) releases what it opened, so the CLI can say why and exit.
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    await app?.close().catch(() => undefined);
    await byok.close({ deadlineMs: 0 }).catch(() => undefined);
    membership?.leave();
    throw error;
  }

  if (
    config.metrics.port === undefined &&
    config.metrics.token === undefined &&
    !isLoopback(config.server.host)
  ) {
    logger.warn(
      { host: config.server.host },
      "/metrics is open to anyone who reaches this address: set metrics.token or metrics.port (docs/deployment.md)",
    );
  }

  return new Promise<number>((resolveExit) => {
    let stopping = false;
    const finish = (code: number) => {
      membership?.leave();
      resolveExit(code);
    };
    stop = (reason) => {
      if (stopping) return;
      stopping = true;
      logger.info(
        { signal: reason, timeoutMs: config.server.shutdownTimeoutMs },
        "shutting down: finishing in-flight requests",
      );
      const backstop = setTimeout(() => {
        logger.error({ timeoutMs: config.server.shutdownTimeoutMs }, "shutdown did not finish; exiting");
        process.exit(1);
      }, config.server.shutdownTimeoutMs + BACKSTOP_MS);
      backstop.unref();
      // The server waits for calls in flight until the deadline, then cuts them (docs/deployment.md);
      // the core then writes the usage records and closes its pools and store.
      app
        .close()
        .then(() => byok.close({ deadlineMs: 0 }))
        .then(
          () => {
            clearTimeout(backstop);
            logger.info("stopped");
            finish(0);
          },
          (error: unknown) => {
            logger.error({ err: error }, "shutdown failed");
            finish(1);
          },
        );
    };
    if (stopAsked !== null) stop(stopAsked);
  });
}

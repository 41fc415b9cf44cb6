/**
 * @module cli/serve
 * `byok-gateway serve`: load config, build the server, listen, and on SIGTERM/SIGINT close it within its deadline.
 */
import { loadConfig } from "../config/load-config.ts";
import { createGatewayServer } from "../http/create-gateway-server.ts";
import { createByok } from "../library/create-byok.ts";

/**
 * Past the shutdown deadline (when calls in flight are cut) and the moment cut calls get to end, the
 * close should be over; if something still holds it after this much more, the process exits anyway.
 */
const BACKSTOP_MS = 5_000;

export async function serve(configFile: string | undefined): Promise<number> {
  const config = loadConfig({ file: configFile });
  const byok = await createByok({ config });
  const app = await createGatewayServer(byok);
  const { logger } = byok;
  logger.info(
    {
      production: config.production,
      store: byok.store.kind,
      auth: config.auth.mode,
      adminApi: config.adminToken !== undefined,
    },
    "starting byok-gateway",
  );
  await app.listen({ port: config.server.port, host: config.server.host });

  return new Promise<number>((resolveExit) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      logger.info(
        { signal, timeoutMs: config.server.shutdownTimeoutMs },
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
            resolveExit(0);
          },
          (error: unknown) => {
            logger.error({ err: error }, "shutdown failed");
            resolveExit(1);
          },
        );
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
}

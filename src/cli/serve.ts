/**
 * @module cli/serve
 * `byok-gateway serve`: load config, build the server, listen, and shut down gracefully on SIGTERM/SIGINT.
 */
import { loadConfig } from "../config/load-config.ts";
import { createGatewayServer } from "../http/create-gateway-server.ts";
import { createByok } from "../library/create-byok.ts";

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
      logger.info({ signal }, "shutting down: finishing in-flight requests");
      const force = setTimeout(() => {
        logger.error({ timeoutMs: config.server.shutdownTimeoutMs }, "shutdown timed out; exiting");
        resolveExit(1);
      }, config.server.shutdownTimeoutMs);
      force.unref();
      app
        .close()
        .then(() => byok.close())
        .then(
          () => {
            clearTimeout(force);
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

/**
 * @module library/create-configured-breakers
 * The circuit breakers `resilience.breakers` asks for: off, in this process, or shared through Redis when
 * `redis.url` is set; each transition counted in /metrics and logged (the upstream's name, never a key).
 */
import type { GatewayConfig } from "../config/config-schema.ts";
import { createLocalBreakers } from "../resilience/create-local-breakers.ts";
import { createSharedBreakers } from "../resilience/create-shared-breakers.ts";
import { DISABLED_BREAKERS, type ResettableBreakers } from "../resilience/resettable-breakers.ts";
import { createRedisBreakerBoard } from "../store/redis/create-redis-breaker-board.ts";
import type { RedisConnection } from "../store/redis/open-redis-connection.ts";
import type { Logger } from "../telemetry/create-logger.ts";
import type { GatewayMetrics } from "../telemetry/create-metrics.ts";

export interface ConfiguredBreakersOptions {
  readonly config: GatewayConfig;
  /** The Redis connection when `redis.url` is set: the breakers are then shared by every replica. */
  readonly connection: RedisConnection | null;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  /** An injected clock (tests); the Redis board then reads it too, else Redis's own. */
  readonly now?: () => number;
}

export async function createConfiguredBreakers(
  options: ConfiguredBreakersOptions,
): Promise<ResettableBreakers> {
  const { config, connection, logger, metrics, now } = options;
  const settings = config.resilience.breakers;
  if (!settings.enabled) return DISABLED_BREAKERS;
  const base = {
    failureThreshold: settings.failureThreshold,
    openMs: settings.openMs,
    halfOpenProbes: settings.halfOpenProbes,
    ...(now ? { now } : {}),
    onTransition: (upstream: string, to: "closed" | "half_open" | "open") => {
      metrics.breakerTransitions.inc({ upstream, to });
      if (to === "open")
        logger.warn({ breaker: { upstream, to } }, "circuit breaker opened: upstream skipped");
      else
        logger.info(
          { breaker: { upstream, to } },
          `circuit breaker ${to === "closed" ? "closed" : "half-open"}`,
        );
    },
  };
  const breakers =
    connection === null
      ? createLocalBreakers(base)
      : createSharedBreakers({
          ...base,
          board: await createRedisBreakerBoard({ connection, ...(now ? { now } : {}) }),
          onBoardError: (error) =>
            logger.warn(
              { err: { name: error instanceof Error ? error.name : typeof error } },
              "a circuit breaker change could not reach Redis; counted on this replica",
            ),
        });
  metrics.readBreakerStates(() => breakers.snapshot());
  return breakers;
}

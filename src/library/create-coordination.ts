/**
 * @module library/create-coordination
 * What replicas share, chosen once: in this process when `redis.url` is unset, else through Redis (the
 * invalidation bus, rate limits, quota counters, listen tickets, circuit breakers), each with its failure
 * behaviour wired.
 */
import { createMemoryListenTicketStore } from "../auth/create-memory-listen-ticket-store.ts";
import { createRedisListenTicketStore } from "../auth/create-redis-listen-ticket-store.ts";
import type { ListenTicketStore } from "../auth/listen-ticket-store.ts";
import type { GatewayConfig } from "../config/config-schema.ts";
import type { HitAndReserve } from "../metering/create-admission-control.ts";
import { createLocalRateLimiter } from "../metering/rate-limits/create-local-rate-limiter.ts";
import { createRedisRateLimiter } from "../metering/rate-limits/create-redis-rate-limiter.ts";
import type { RateLimiter } from "../metering/rate-limits/rate-limiter.ts";
import type { ResettableBreakers } from "../resilience/resettable-breakers.ts";
import { createRedisInvalidationBus } from "../store/create-redis-invalidation-bus.ts";
import { createRedisQuotaCounters } from "../store/create-redis-quota-counters.ts";
import { createLocalInvalidationBus, type InvalidationBus } from "../store/invalidation-bus.ts";
import { createRedisRateOperations } from "../store/redis/create-redis-rate-operations.ts";
import { createRedisTicketOperations } from "../store/redis/create-redis-ticket-operations.ts";
import { openRedisConnection, type RedisConnection } from "../store/redis/open-redis-connection.ts";
import type { QuotaCounterRepository } from "../store/store-types.ts";
import type { Logger } from "../telemetry/create-logger.ts";
import type { CoordinatedFeature, GatewayMetrics } from "../telemetry/create-metrics.ts";
import { createConfiguredBreakers } from "./create-configured-breakers.ts";

/** Each piece may be injected (worker processes bring IPC-backed ones); the rest follow `redis.url`. */
export interface CoordinationOverrides {
  readonly bus?: InvalidationBus;
  readonly rateLimiter?: RateLimiter;
  readonly listenTicketStore?: ListenTicketStore;
}

export interface Coordination {
  readonly bus: InvalidationBus;
  readonly limiter: RateLimiter;
  readonly counters: QuotaCounterRepository;
  /** With Redis (and its own rate limiter): an operator-served call's rate-limit hit and reservation in one step. */
  readonly hitAndReserve?: HitAndReserve;
  readonly listenTicketStore: ListenTicketStore;
  /** The circuit breakers per upstream (`resilience.breakers`), shared through Redis when it is configured. */
  readonly breakers: ResettableBreakers;
  /** `none` without Redis; else whether the command connection is up now (`/readyz` reports it). */
  redisStatus(): "none" | "up" | "down";
  close(): Promise<void>;
}

export interface CoordinationOptions extends CoordinationOverrides {
  readonly config: GatewayConfig;
  /** The durable store's counters: used as they are without Redis, the durable copy with it. */
  readonly durableCounters: QuotaCounterRepository;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  /** An injected clock (tests): the limiters read it; otherwise local ones read `Date.now`, Redis its own. */
  readonly now?: () => number;
}

export async function createCoordination(options: CoordinationOptions): Promise<Coordination> {
  const { config, logger, metrics, now } = options;
  const local = () => createLocalRateLimiter({ now: now ?? Date.now });
  const url = config.redis.url;
  const breakersOn = (connection: RedisConnection | null) =>
    createConfiguredBreakers({ config, connection, logger, metrics, ...(now ? { now } : {}) });
  if (url === undefined) {
    const bus = options.bus ?? createLocalInvalidationBus();
    const breakers = await breakersOn(null);
    return {
      breakers,
      bus,
      limiter: options.rateLimiter ?? local(),
      counters: options.durableCounters,
      listenTicketStore:
        options.listenTicketStore ?? createMemoryListenTicketStore({ max: config.speechToText.maxTickets }),
      redisStatus: () => "none",
      async close() {
        await breakers.close();
        await bus.close();
      },
    };
  }

  const connection: RedisConnection = await openRedisConnection({
    url: url.reveal(),
    keyPrefix: config.redis.keyPrefix,
    connectTimeoutMs: config.redis.connectTimeoutMs,
    commandTimeoutMs: config.redis.commandTimeoutMs,
  });
  const degraded = (feature: CoordinatedFeature, on: boolean) => {
    metrics.coordinationDegraded.set({ feature }, on ? 1 : 0);
    if (on) metrics.coordinationDegradations.inc({ feature });
  };
  for (const feature of ["rate_limits", "invalidations", "quotas", "listen_tickets"] as const)
    degraded(feature, false);
  // One line per transition of the connection: what each feature does meanwhile is in docs/deployment.md.
  let lastStatus = connection.status;
  if (lastStatus === "down") {
    logger.warn("Redis cannot be reached: operator-served calls refused, rate limits local (retrying)");
  }
  const stopStatus = connection.onStatus((status) => {
    if (status === lastStatus) return;
    lastStatus = status;
    degraded("quotas", status === "down");
    degraded("listen_tickets", status === "down");
    if (status === "down")
      logger.warn("Redis connection lost: quotas and listen tickets unavailable until it returns");
    else logger.info("Redis connection back: quotas and listen tickets available");
  });
  if (lastStatus === "down") {
    degraded("quotas", true);
    degraded("listen_tickets", true);
  }

  const bus =
    options.bus ??
    (await createRedisInvalidationBus({
      connection,
      onStatus: (status) => {
        degraded("invalidations", status === "down");
        if (status === "down")
          logger.warn("invalidation bus lost its subscription: caches bypassed until it returns");
        else logger.info("invalidation bus subscribed: caches emptied (changes may have been missed)");
      },
      onPublishFailed: (error) =>
        logger.warn({ err: error }, "an invalidation could not be published; retried"),
    }));
  if (options.bus === undefined && !bus.trusted) degraded("invalidations", true);

  const shared =
    options.rateLimiter === undefined
      ? createRedisRateLimiter({
          operations: createRedisRateOperations(connection, now),
          fallback: local(),
          isUp: () => connection.status === "up",
          slotLeaseMs: config.rateLimits.slotLeaseMs,
          onDegraded: (on) => {
            degraded("rate_limits", on);
            if (on) logger.warn("rate limits degraded to this replica's own (Redis unreachable)");
            else logger.info("rate limits shared through Redis again");
          },
        })
      : undefined;
  const limiter: RateLimiter = options.rateLimiter ?? shared!;

  const counters = createRedisQuotaCounters({
    connection,
    durable: options.durableCounters,
    onDurableFailed: (error) =>
      logger.warn(
        { err: error },
        "a committed quota change could not be copied to the durable store yet (replayed until it lands)",
      ),
    onSettleDropped: (count) =>
      logger.error(
        { count },
        "failed quota settles dropped (the replay queue's bound reached, or Redis unreachable at close)",
      ),
    onMirrorReplayed: (count) =>
      logger.info({ count }, "committed quota changes copied to the durable store on a replay"),
    onMirrorDropped: (count, reason) =>
      logger.error(
        { count, reason },
        "committed quota changes never copied to the durable store (a Redis restart would give them back)",
      ),
    fenceGraceMs: config.redis.quotaFenceMs,
    onHoldsResent: ({ epoch, holds, reason }) =>
      logger.warn(
        { epoch, holds, reason },
        "Redis lost its quota data: this replica's calls in flight held again",
      ),
    onResendFailed: (error) =>
      logger.warn({ err: error }, "a quota hold could not be re-sent to Redis; retried"),
    onEvictionPolicy: ({ policy, previous, exact }) => {
      if (!exact)
        logger.warn(
          { policy },
          "Redis may evict any key (maxmemory-policy allkeys-*): quotas cannot be exact (holds and counters can be evicted) and the quota fence is off; set noeviction or a volatile-* policy (docs/deployment.md, Redis)",
        );
      else if (previous?.startsWith("allkeys-"))
        logger.info({ policy, previous }, "Redis no longer evicts any key: the quota fence is on again");
    },
  });
  // One round trip for both while Redis is up; apart while it is not, or while the shared limiter is still
  // degraded (its own next call to Redis is what ends that state, with its log line and gauge).
  const hitAndReserve: HitAndReserve = (hit, id, reservations, lease) =>
    connection.status === "up" && shared?.degraded === false
      ? counters.hitAndReserve({ ...hit, ...(now ? { now: now() } : {}) }, id, reservations, lease)
      : null;

  const breakers = await breakersOn(connection);
  return {
    bus,
    limiter,
    breakers,
    counters,
    ...(shared === undefined ? {} : { hitAndReserve }),
    listenTicketStore:
      options.listenTicketStore ?? createRedisListenTicketStore(createRedisTicketOperations(connection)),
    redisStatus: () => connection.status,
    async close() {
      stopStatus();
      await counters.close(); // before the connection: what waits is replayed once more
      await breakers.close();
      await bus.close();
      await connection.close();
    },
  };
}

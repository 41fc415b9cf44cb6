/**
 * @module library/create-worker-coordination
 * Worker processes of `serve --workers N` without Redis: what the workers of one host share goes through
 * the primary over IPC. A worker's side (the invalidation bus, the rate limiters and the listen-ticket
 * store handed to `createCoordination` as overrides) and the primary's side (`createCoordinationHost`).
 * With `redis.url` set the workers use Redis directly and nothing here is used.
 */
import {
  createIpcListenTicketStore,
  serveListenTicketStore,
} from "../auth/create-ipc-listen-ticket-store.ts";
import { createMemoryListenTicketStore } from "../auth/create-memory-listen-ticket-store.ts";
import type { ListenTicketStore } from "../auth/listen-ticket-store.ts";
import type { IpcEndpoint } from "../cluster/index.ts";
import type { GatewayConfig } from "../config/config-schema.ts";
import { createIpcRateLimiter } from "../metering/rate-limits/create-ipc-rate-limiter.ts";
import { createRateLimiterHost } from "../metering/rate-limits/create-rate-limiter-host.ts";
import { createLocalRateLimiter, type RateLimiter } from "../metering/rate-limits/index.ts";
import { createInvalidationRelay, createIpcInvalidationBus } from "../store/create-ipc-invalidation-bus.ts";
import type { InvalidationBus } from "../store/invalidation-bus.ts";
import type { Logger } from "../telemetry/create-logger.ts";

export interface WorkerCoordination {
  readonly bus?: InvalidationBus;
  /** Users' requests per minute and concurrent streams. */
  readonly rateLimiter?: RateLimiter;
  /** The per-address limit on unauthenticated requests (its own keys: a flood never evicts users'). */
  readonly anonymousLimiter?: RateLimiter;
  readonly listenTicketStore?: ListenTicketStore;
}

/** The primary's limiter names; a worker's limiter asks for one of them. */
const USERS = "users";
const ANONYMOUS = "anonymous";

/** The IPC-backed pieces for a worker without Redis; none (empty) outside a cluster or with Redis. */
export function createWorkerCoordination(
  config: GatewayConfig,
  cluster: IpcEndpoint | undefined,
): WorkerCoordination {
  if (cluster === undefined || config.redis.url !== undefined) return {};
  return {
    bus: createIpcInvalidationBus(cluster),
    rateLimiter: createIpcRateLimiter(cluster, { limiter: USERS }),
    anonymousLimiter: createIpcRateLimiter(cluster, { limiter: ANONYMOUS }),
    listenTicketStore: createIpcListenTicketStore(cluster),
  };
}
export interface CoordinationHost {
  /** Serves a new worker: its bus messages, rate limits and tickets. */
  attach(workerId: number, endpoint: IpcEndpoint): void;
  /** Forgets a gone worker and releases the concurrency slots it held. */
  detach(workerId: number): void;
}

export interface CoordinationHostOptions {
  readonly config: GatewayConfig;
  readonly logger: Logger;
  /**
   * A live worker did not confirm an invalidation in time: its caches may still serve what was just
   * revoked, so it must not serve again (the primary kills and replaces it).
   */
  readonly onStaleWorker: (workerId: number) => void;
}

export function createCoordinationHost(options: CoordinationHostOptions): CoordinationHost {
  const { config, logger } = options;
  const relay = createInvalidationRelay({
    onDeliveryFailed: (workerId, error) => {
      logger.error({ worker: workerId, err: error }, "a worker did not confirm an invalidation in time");
      options.onStaleWorker(workerId);
    },
  });
  const limits = createRateLimiterHost({
    [USERS]: createLocalRateLimiter(),
    [ANONYMOUS]: createLocalRateLimiter(),
  });
  const tickets = createMemoryListenTicketStore({ max: config.speechToText.maxTickets });
  return {
    attach(workerId, endpoint) {
      relay.attach(workerId, endpoint);
      limits.attach(workerId, endpoint);
      serveListenTicketStore(endpoint, tickets);
    },
    detach(workerId) {
      relay.detach(workerId);
      limits.detach(workerId);
    },
  };
}

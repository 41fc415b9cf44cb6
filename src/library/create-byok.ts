/**
 * @module library/create-byok
 * The embedding API: wires config, store, peppers, auth, enrollment and validation into one object
 * that the gateway server and library users share.
 */
import { resolve } from "node:path";
import { type AuthenticateOptions, createAuthenticator } from "../auth/create-authenticator.ts";
import { createListenTickets, type ListenTickets } from "../auth/create-listen-tickets.ts";
import {
  createSettingsTokens,
  SETTINGS_KEY_INFO,
  type SettingsTokens,
} from "../auth/create-settings-tokens.ts";
import { createUserAdmin, type UserAdmin } from "../auth/create-user-admin.ts";
import type { ListenTicketStore } from "../auth/listen-ticket-store.ts";
import type { Principal } from "../auth/principal.ts";
import type { IpcEndpoint } from "../cluster/index.ts";
import type { GatewayConfig, GatewayConfigInput } from "../config/config-schema.ts";
import { isParsedConfig, parseConfig } from "../config/load-config.ts";
import type { EgressPolicy, EgressResolver } from "../egress/index.ts";
import { type CheckCustomBaseUrl, createCustomBaseUrlCheck } from "../enrollment/check-custom-base-url.ts";
import { createEnrollmentCache } from "../enrollment/create-enrollment-cache.ts";
import { createEnrollmentService, type EnrollmentService } from "../enrollment/create-enrollment-service.ts";
import { createVerifyService } from "../enrollment/create-verify-service.ts";
import type { VerifyResults } from "../enrollment/verify-result.ts";
import { type HeaderBag, parseByokHeaders } from "../keys/parse-byok-headers.ts";
import { createAdmissionControl } from "../metering/create-admission-control.ts";
import { type AnonymousLimit, createAnonymousLimit } from "../metering/create-anonymous-limit.ts";
import { type AnswerMemory, createAnswerMemory } from "../metering/create-answer-memory.ts";
import { createUsageRecorder } from "../metering/create-usage-recorder.ts";
import { createUsageReporter, type UsageReport } from "../metering/create-usage-report.ts";
import { createLocalRateLimiter, type RateLimiter } from "../metering/rate-limits/index.ts";
import { roundUsageSeries } from "../metering/round-meter-amount.ts";
import {
  buildRoutingTable,
  createModelPipeline,
  createOpenCalls,
  type ModelPipeline,
  type ServedCallSink,
} from "../pipeline/index.ts";
import { createProviderRegistry } from "../providers/index.ts";
import type { InvalidationBus } from "../store/invalidation-bus.ts";
import { openStore } from "../store/open-store.ts";
import { startPeriodicPrune } from "../store/start-periodic-prune.ts";
import type { Store, UsageSeriesRow } from "../store/store-types.ts";
import { createLogger, type Logger } from "../telemetry/create-logger.ts";
import { createMetrics, type GatewayMetrics } from "../telemetry/create-metrics.ts";
import type { ByokContext } from "../validation/byok-context.ts";
import { checkStillEnrolled } from "../validation/check-still-enrolled.ts";
import { createByokValidator } from "../validation/create-byok-validator.ts";
import { type ByokModels, createAiSdkModels } from "./ai-sdk/index.ts";
import { buildEgressPolicy } from "./build-egress-policy.ts";
import { type ByokAdmin, createByokAdmin } from "./create-byok-admin.ts";
import { createConfiguredKeyVerifier } from "./create-configured-key-verifier.ts";
import { createConfiguredPepperRing } from "./create-configured-pepper-ring.ts";
import { createConfiguredUpstream } from "./create-configured-upstream.ts";
import { type Coordination, createCoordination } from "./create-coordination.ts";
import { createKeyPoolHooks } from "./create-key-pool-hooks.ts";
import { createServedCallSink } from "./create-served-call-sink.ts";
import { createWorkerCoordination } from "./create-worker-coordination.ts";
import { cutOpenCallsOnInvalidation, recheckCallerWith } from "./cut-open-calls-on-invalidation.ts";
import { readAuthorization } from "./read-authorization.ts";
import { type RequestContext, runWithContext } from "./request-context.ts";
import { settlesWithin } from "./settles-within.ts";

export interface CreateByokOptions {
  /** A parsed config (loadConfig/parseConfig) or a raw one to validate. */
  readonly config?: GatewayConfig | GatewayConfigInput;
  /** Storage; by default the configured one (`storage.postgres.url` set: PostgreSQL, else the SQLite file). */
  readonly store?: Store;
  /** What replicas share (docs/deployment.md): injected, else local without `redis.url`, Redis with it. */
  readonly bus?: InvalidationBus;
  readonly rateLimiter?: RateLimiter;
  readonly listenTicketStore?: ListenTicketStore;
  /**
   * In a worker of `serve --workers N`: the channel to the primary, which then (without `redis.url`)
   * hosts the invalidation relay, the rate limiters and the listen tickets shared by the host's workers.
   */
  readonly cluster?: IpcEndpoint;
  readonly logger?: Logger;
  /** The clock, in ms since the epoch (tests move it). */
  readonly now?: () => number;
  /** The custom base URL check used at enrollment; the egress guard under the configured policy by default. */
  readonly checkCustomBaseUrl?: CheckCustomBaseUrl;
  /** The egress guard's resolver (`dns.promises.lookup(name, {all: true})` shape); the system's by default. */
  readonly egressResolver?: EgressResolver;
  /** Receives every served model call (metering plugs in here); logged by default. */
  readonly onServed?: ServedCallSink;
}

export interface AuthenticateAndValidateOptions {
  /** Recovery paths strip mismatched keys instead of rejecting the request. */
  readonly recovery?: boolean;
}

export interface Byok extends ByokModels {
  readonly config: GatewayConfig;
  readonly store: Store;
  readonly logger: Logger;
  /** Prometheus metrics (served at GET /metrics by the gateway). */
  readonly metrics: GatewayMetrics;
  /** The egress policy every user-named URL is checked and connected under. */
  readonly egressPolicy: EgressPolicy;
  readonly enrollment: EnrollmentService;
  readonly users: UserAdmin;
  /** The operator's operations as typed calls: users, tokens, plans, usage (docs/library.md). */
  readonly admin: ByokAdmin;
  /** Model calls: routing, upstream calls, streams (chat completions, embeddings, model list). */
  readonly pipeline: ModelPipeline;
  /** Usage and limits: a user's report, and usage over time for the operator. */
  readonly usage: {
    report(userId: string, plan: string | null): Promise<UsageReport>;
    overTime(query: {
      readonly userId?: string;
      readonly from: number;
      readonly to: number;
      readonly bucket: "hour" | "day";
    }): Promise<{ readonly data: readonly UsageSeriesRow[] }>;
    /** Writes queued usage records now (they are batched). */
    flush(): Promise<void>;
  };
  /** The per-address limit on unauthenticated requests. */
  readonly anonymousLimit: AnonymousLimit;
  /** What whole answers hold, per user and in all: a call's `answerShare`, released when its response ended. */
  readonly answerMemory: AnswerMemory;
  /** Single-use tickets for the live `/v1/listen` socket (browsers cannot set its headers). */
  readonly listenTickets: ListenTickets;
  /** Short-lived sign-ins for the settings page (`POST /admin/settings-links`). */
  readonly settingsTokens: SettingsTokens;
  /** The circuit breakers per upstream (`resilience.breakers`; `GET /admin/breakers`). */
  readonly breakers: Coordination["breakers"];
  /** Invalidations (a revoked user, a changed enrollment) as every replica hears them. */
  readonly bus: InvalidationBus;
  /** `none` without Redis; else whether it answers now (reported by `/readyz`, which it does not fail). */
  redisStatus(): "none" | "up" | "down";
  /** `Authorization` header → principal; throws a 401 GatewayError. */
  authenticate(authorization: string | undefined, options?: AuthenticateOptions): Promise<Principal>;
  /**
   * `POST /v1/byok/verify`: the presented X-BYOK-* keys checked live with their providers (rate-limited
   * per user by `verify.requestsPerMinute`); never changes the enrollment.
   */
  verifyKeys(userId: string, headers: HeaderBag): Promise<VerifyResults>;
  /** The user's presented X-BYOK-* headers → validated context; throws a 403/400 GatewayError. */
  validate(
    principal: Principal,
    headers: HeaderBag,
    options?: AuthenticateAndValidateOptions,
  ): Promise<ByokContext>;
  /** A context validated earlier (a listen ticket's) checked again: false once one of its keys is no longer enrolled. */
  stillEnrolled(context: ByokContext): Promise<boolean>;
  /** Both, from one request's headers. */
  handle(
    headers: HeaderBag & { authorization?: unknown },
    options?: AuthenticateAndValidateOptions,
  ): Promise<RequestContext>;
  /** Runs `work` inside the request context that `currentContext()` returns. */
  run<T>(context: RequestContext, work: () => T): T;
  /**
   * Waits up to `deadlineMs` (default `server.shutdownTimeoutMs`) for the model calls in flight to end,
   * then cuts the rest (`service_unavailable`, code `shutting_down`: an error event for a stream, a 503
   * otherwise), writes every usage record and closes the upstream pools, the bus and the store.
   */
  close(options?: CloseOptions): Promise<void>;
}

export interface CloseOptions {
  /** How long calls in flight may still run; 0 cuts them at once. */
  readonly deadlineMs?: number;
}

/** After a cut, how long the cut calls get to write their last event and be reported before the pools close. */
const CUT_GRACE_MS = 1_000;

function toConfig(config: GatewayConfig | GatewayConfigInput | undefined): GatewayConfig {
  return isParsedConfig(config) ? config : parseConfig(config ?? {});
}

export async function createByok(options: CreateByokOptions = {}): Promise<Byok> {
  const config = toConfig(options.config);
  const logger = options.logger ?? createLogger({ level: config.log.level });
  const now = options.now ?? Date.now;
  const dataDir = resolve(config.dataDir);

  const pepperRing = createConfiguredPepperRing(config.pepper, dataDir, logger);
  const metrics = createMetrics();
  const egressPolicy = buildEgressPolicy(config, logger, metrics, options.egressResolver);
  // A default feature that cannot serve its ingress stops the start here, before any store is opened.
  buildRoutingTable(config, createProviderRegistry());
  const store =
    options.store ??
    (await openStore({
      storage: config.storage,
      dataDir,
      // The driver's text may name the host; the class and code only.
      onError: (error) =>
        logger.warn(
          { store: { error: error.name, code: (error as { code?: unknown }).code ?? null } },
          "a database connection failed",
        ),
      onSettleDropped: (count) =>
        logger.error(
          { count },
          "failed quota settles dropped (the replay queue's bound reached, or the store unreachable at close)",
        ),
    }));
  // A worker of `serve --workers N` without Redis shares these through the primary (none otherwise).
  const workerSide = createWorkerCoordination(config, options.cluster);
  const injectedBus = options.bus ?? workerSide.bus;
  const rateLimiter = options.rateLimiter ?? workerSide.rateLimiter;
  const listenTicketStore = options.listenTicketStore ?? workerSide.listenTicketStore;
  const coordination = await createCoordination({
    config,
    durableCounters: store.counters,
    logger,
    metrics,
    ...(options.now ? { now: options.now } : {}),
    ...(injectedBus ? { bus: injectedBus } : {}),
    ...(rateLimiter ? { rateLimiter } : {}),
    ...(listenTicketStore ? { listenTicketStore } : {}),
  });
  const { bus, limiter } = coordination;
  const heartbeatTtlMs = config.enrollment.heartbeatTtlSeconds * 1000;

  const settingsTokens = createSettingsTokens({ keys: pepperRing.deriveKeys(SETTINGS_KEY_INFO), store, now });
  const authenticator = createAuthenticator({ auth: config.auth, store, bus, settingsTokens });
  const cache = createEnrollmentCache({ store, bus, max: config.enrollment.cacheSize });
  const validator = createByokValidator({ cache, store, bus, pepperRing, heartbeatTtlMs, now });
  const enrollment = createEnrollmentService({
    store,
    bus,
    pepperRing,
    policy: { requiredProviders: config.enrollment.requiredProviders },
    heartbeatTtlMs,
    checkCustomBaseUrl: options.checkCustomBaseUrl ?? createCustomBaseUrlCheck(egressPolicy),
    now,
  });
  const users = createUserAdmin({ store, bus, now, plans: Object.keys(config.plans) });
  const upstream = createConfiguredUpstream(config, egressPolicy, metrics);
  const recorder = createUsageRecorder({
    usage: store.usage,
    flushIntervalMs: config.metering.flushIntervalMs,
    maxBatch: config.metering.maxBatch,
    maxQueued: config.metering.maxQueued,
    onError: (error, dropped) => {
      if (dropped > 0) metrics.usageRecordsDropped.inc(dropped);
      logger.error({ err: error, dropped }, "usage records could not be written");
    },
  });
  const { retentionDays } = config.metering;
  const retention =
    retentionDays === undefined
      ? null
      : startPeriodicPrune({
          prune: (before, maxRows) => store.usage.prune(before, maxRows),
          keepMs: retentionDays * 86_400_000,
          ...(store.pruneBatch === undefined ? {} : { batch: store.pruneBatch }),
          now,
          onPruned: (count) =>
            logger.info({ count, retentionDays }, "usage records past their retention deleted"),
          onError: (error) =>
            logger.warn({ err: error }, "usage records past their retention not deleted (retried)"),
        });
  const admission = createAdmissionControl({
    config,
    counters: coordination.counters,
    limiter,
    ...(coordination.hitAndReserve ? { hitAndReserve: coordination.hitAndReserve } : {}),
    now,
    observer: {
      onQuotaRejected: (meter) => metrics.quotaRejections.inc({ meter }),
      onRateLimited: (limit) => metrics.rateLimitRejections.inc({ limit }),
      onSettleFailed: (error) =>
        logger.error({ err: error }, "a quota counter could not be settled (replayed until it lands)"),
      onRenewFailed: (error) =>
        logger.warn({ err: error }, "a running call's quota lease could not be renewed"),
    },
  });
  const { answerMemoryBytes: totalBytes, answerMemoryBytesPerUser: perUserBytes } = config.server;
  const answerMemory = createAnswerMemory({ totalBytes, perUserBytes });
  metrics.readAnswerMemory(() => answerMemory.held);
  const anonymousLimit = createAnonymousLimit({
    // Its own: a flood of addresses never evicts users' windows.
    limiter: workerSide.anonymousLimiter ?? createLocalRateLimiter({ now }),
    perMinute: config.rateLimits.anonymousRequestsPerMinute,
    now,
    onRefused: () => metrics.rateLimitRejections.inc({ limit: "anonymous_requests_per_minute" }),
  });
  const onServed = createServedCallSink({
    recorder: config.metering.enabled ? recorder : null,
    metrics,
    logger,
    now,
    ...(options.onServed ? { forward: options.onServed } : {}),
  });
  // Calls in flight, cut when their user is revoked or their enrollment's keys change (one subscription).
  const openCalls = createOpenCalls({ recheck: recheckCallerWith(store) });
  cutOpenCallsOnInvalidation(bus, openCalls, store, logger);
  const registry = createProviderRegistry();
  const verifyKeys = createVerifyService({
    verifier: createConfiguredKeyVerifier(config, egressPolicy, upstream, registry),
    limiter, // shared with the replicas when Redis is configured: the per-user limit holds fleet-wide
    requestsPerMinute: config.verify.requestsPerMinute,
    enrollment: (userId) => cache.get(userId),
    pepperRing,
    onRateLimited: () => metrics.rateLimitRejections.inc({ limit: "verify_requests_per_minute" }),
  });
  const pipeline = createModelPipeline({
    openCalls,
    config,
    registry,
    upstream,
    admission,
    onServed,
    now,
    onStreamRepair: (provider, repair) => metrics.streamRepairs.inc({ provider, repair }),
    // Connection names are the operator's (or a provider id, or `custom`): bounded labels, never a URL or key.
    onAttempt: (route, outcome) =>
      metrics.upstreamAttempts.inc({ connection: route.connection, source: route.source, outcome }),
    promptCacheKeys: pepperRing, // keyed prompt-cache keys, never shared by two users
    breakers: coordination.breakers,
    keyPools: createKeyPoolHooks(logger, metrics),
    // The thrown text may quote upstream bytes (a key among them): its class name only.
    onStreamFault: (thrown) =>
      logger.error(
        { fault: thrown instanceof Error ? thrown.name : typeof thrown },
        "a stream's tap or translator failed; that stream ended with an error event",
      ),
  });
  const listenTickets = createListenTickets({
    store: coordination.listenTicketStore,
    ttlMs: config.speechToText.ticketTtlSeconds * 1000,
    now,
  });
  const reportUsage = createUsageReporter({
    store: { counters: coordination.counters, usage: store.usage },
    admission,
    flush: () => recorder.flush(),
    now,
  });

  const validate: Byok["validate"] = (principal, headers, validateOptions) =>
    validator.validate(principal.userId, parseByokHeaders(headers), validateOptions);

  return {
    config,
    store,
    logger,
    metrics,
    egressPolicy,
    enrollment,
    users,
    pipeline,
    ...createAiSdkModels(pipeline, now, answerMemory),
    usage: {
      report: reportUsage,
      async overTime(query) {
        await recorder.flush();
        return { data: roundUsageSeries(await store.usage.series(query)) };
      },
      flush: () => recorder.flush(),
    },
    admin: createByokAdmin({ config, store, users, report: reportUsage, flush: () => recorder.flush() }),
    anonymousLimit,
    answerMemory,
    listenTickets,
    settingsTokens,
    authenticate: (authorization, authenticateOptions) =>
      authenticator.authenticate(authorization, authenticateOptions),
    verifyKeys: (userId, headers) => verifyKeys(userId, parseByokHeaders(headers)),
    bus,
    breakers: coordination.breakers,
    redisStatus: () => coordination.redisStatus(),
    validate,
    stillEnrolled: (context) => checkStillEnrolled(validator, context),
    async handle(headers, handleOptions) {
      const principal = await authenticator.authenticate(readAuthorization(headers));
      return { principal, byok: await validate(principal, headers, handleOptions) };
    },
    run: runWithContext,
    async close(closeOptions = {}) {
      const deadlineMs = closeOptions.deadlineMs ?? config.server.shutdownTimeoutMs;
      if (!(await settlesWithin(openCalls.drained(), deadlineMs))) {
        const count = openCalls.cutAll("shutting_down");
        logger.warn({ count, deadlineMs }, "shutdown deadline reached: calls in flight cut");
        await settlesWithin(openCalls.drained(), CUT_GRACE_MS);
      }
      await upstream.close();
      await recorder.close(); // nothing recorded is lost on a clean shutdown
      await retention?.close();
      await coordination.close();
      await store.close();
    },
  };
}

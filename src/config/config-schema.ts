/**
 * @module config/config-schema
 * The configuration's shape and defaults (docs/configuration.md); secrets are wrapped as they are parsed.
 */
import { z } from "zod";
import { PROVIDER_IDS } from "../keys/provider-ids.ts";
import { SecretKey } from "../keys/secret-key.ts";
import { connectionsSchema } from "./connection-schema.ts";
import { featuresSchema, timeoutsSchema } from "./feature-schema.ts";
import { globalRateLimitsSchema, meteringSchema, plansSchema } from "./plan-schema.ts";
import { providerSettings } from "./provider-schema.ts";
import { resilienceSchema } from "./resilience-schema.ts";
import { INGRESSES, routingSchema } from "./routing-schema.ts";
import { speechToTextSchema } from "./speech-to-text-schema.ts";
import { customMaxConnectionsSchema, upstreamSchema } from "./upstream-schema.ts";

const secret = (minLength: number, what: string) =>
  z
    .string()
    .min(minLength, `${what} must be at least ${minLength} characters`)
    .transform((value) => new SecretKey(value));

const jwtSettings = z
  .strictObject({
    jwksUrl: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
    /** A PEM SPKI public key, or a shared secret for HS* algorithms (prefer BYOK_JWT_SECRET). */
    publicKey: z.string().min(1).optional(),
    secret: secret(32, "jwt.secret").optional(),
    issuer: z.string().min(1),
    audience: z.string().min(1),
    algorithms: z.array(z.string().min(1)).min(1).optional(),
    /** The claim that names the user's plan, when plans come from the identity provider. */
    planClaim: z.string().min(1).optional(),
    clockToleranceSeconds: z.number().int().min(0).max(300).default(5),
    /** Tokens without `exp` (which would never expire) are refused unless this is set to false. */
    requireExp: z.boolean().default(true),
  })
  .refine((jwt) => [jwt.jwksUrl, jwt.publicKey, jwt.secret].filter(Boolean).length === 1, {
    message: "set exactly one of jwksUrl, publicKey or secret",
  });

/** One trusted proxy: an IP address, a CIDR range, or one of proxy-addr's named ranges. */
const proxyAddress = z.union([
  z.ipv4(),
  z.ipv6(),
  z.cidrv4(),
  z.cidrv6(),
  z.enum(["loopback", "linklocal", "uniquelocal"]),
]);
const trustedProxy = z
  .string()
  .trim()
  .refine((entry) => proxyAddress.safeParse(entry).success && !/\/0+$/.test(entry), {
    // A `/0` range (every address) is refused by proxy-addr at start; `true` says the same plainly.
    message:
      "must be an IP address, a CIDR range of prefix 1 or more, loopback, linklocal or uniquelocal (or trustProxy true or false)",
  });

export const configSchema = z
  .strictObject({
    /** Production mode (also NODE_ENV=production): refuses to start without a configured pepper. */
    production: z.boolean().default(false),
    dataDir: z.string().min(1).default("./data"),
    server: z
      .strictObject({
        /** The address to listen on: loopback by default; `0.0.0.0` (all interfaces) in the container image. */
        host: z.string().min(1).default("127.0.0.1"),
        port: z.number().int().min(0).max(65535).default(8080),
        bodyLimitBytes: z
          .number()
          .int()
          .min(1024)
          .max(100 * 1024 * 1024)
          .default(1024 * 1024),
        shutdownTimeoutMs: z.number().int().min(0).max(600_000).default(10_000),
        /** The deepest nesting of arrays and objects a JSON body may have; deeper is 400 invalid_request. */
        maxJsonDepth: z.number().int().min(8).max(1024).default(128),
        /**
         * Whose `X-Forwarded-For` to believe for a client's address (the per-address limit on failed
         * authentications keys on it): `true` every hop's, so only behind a proxy that overwrites the header;
         * or the proxies' own addresses (IPs, CIDRs, `loopback`, `linklocal`, `uniquelocal`), which is right
         * behind one that appends to it as well: the address is the nearest one not listed.
         */
        trustProxy: z
          .union([z.boolean(), z.array(trustedProxy).min(1)], {
            error: "must be true, false or a list of the proxies' addresses",
          })
          .default(false),
        /** A client must send a request's complete headers within this (cuts slowloris clients). */
        headersTimeoutMs: z.number().int().min(1).max(600_000).default(10_000),
        /**
         * A client must send a whole request, body included, within this (an upload too); the response
         * (a stream included) is not bounded by it.
         */
        requestTimeoutMs: z.number().int().min(1).max(3_600_000).default(120_000),
        /** An idle keep-alive connection is closed after this. */
        keepAliveTimeoutMs: z.number().int().min(1).max(600_000).default(5_000),
        /**
         * A connection with no request in flight and no traffic is closed after this; while a response
         * is being written the egress idle and total limits bound it instead.
         */
        connectionTimeoutMs: z.number().int().min(1).max(3_600_000).default(30_000),
        /**
         * A response whose socket holds bytes the client has taken none of for this long (it stopped
         * reading) is reset and its call ended as if the client left; a slow reader, or a quiet stream with
         * nothing to write, is never cut by it (BYOK_WRITE_STALL_TIMEOUT_MS).
         */
        writeStallTimeoutMs: z.number().int().min(100).max(3_600_000).default(30_000),
        /**
         * Bytes of whole upstream answers (non-streamed, error bodies included) the process holds at once,
         * counted from their first byte until their call's response ends; past it a call fails
         * `503 service_unavailable`, code `answer_memory`.
         */
        answerMemoryBytes: z
          .number()
          .int()
          .min(1024 * 1024)
          .max(64 * 1024 * 1024 * 1024)
          .default(256 * 1024 * 1024),
        /** The same for one user's calls; past it `429 rate_limited`, code `answer_memory`. */
        answerMemoryBytesPerUser: z
          .number()
          .int()
          .min(1024 * 1024)
          .max(64 * 1024 * 1024 * 1024)
          .default(64 * 1024 * 1024),
        /**
         * Worker processes of `serve` sharing the port (BYOK_WORKERS, `serve --workers N`); unset:
         * `os.availableParallelism()` in production mode, 1 otherwise. 1 runs no cluster.
         */
        workers: z.number().int().min(1).max(1024).optional(),
        /**
         * Browser pages on these origins may call the gateway (CORS): exact `scheme://host[:port]`
         * origins, no wildcard. Empty: no cross-origin browser access (same-origin pages and servers only).
         */
        corsOrigins: z
          .array(
            z
              .string()
              .regex(
                /^https?:\/\/[^/\s*]+$/,
                "an origin is scheme://host[:port], without a path or wildcard",
              ),
          )
          .max(100)
          .default([]),
      })
      .prefault({})
      .refine((server) => server.headersTimeoutMs <= server.requestTimeoutMs, {
        message: "server.headersTimeoutMs must not exceed server.requestTimeoutMs",
        path: ["headersTimeoutMs"],
      })
      .refine((server) => server.answerMemoryBytesPerUser <= server.answerMemoryBytes, {
        message: "server.answerMemoryBytesPerUser must not exceed server.answerMemoryBytes",
        path: ["answerMemoryBytesPerUser"],
      }),
    /**
     * GET /metrics (Prometheus): on the gateway's listener unless `port` gives it a listener of its own
     * (serving only /metrics, on `host`, else server.host); `token` requires `Authorization: Bearer <token>`.
     */
    metrics: z
      .strictObject({
        token: secret(16, "metrics.token").optional(),
        port: z.number().int().min(0).max(65535).optional(),
        host: z.string().min(1).optional(),
      })
      .prefault({}),
    log: z
      .strictObject({
        level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
      })
      .prefault({}),
    /** Server peppers, newest first (prefer BYOK_PEPPER, comma-separated). */
    pepper: z
      .union([secret(32, "pepper").transform((one) => [one]), z.array(secret(32, "pepper")).min(1)])
      .optional(),
    /** Guards /admin/*; the admin API is absent when unset (prefer BYOK_ADMIN_TOKEN). */
    adminToken: secret(16, "adminToken").optional(),
    auth: z
      .strictObject({
        mode: z.enum(["tokens", "jwt"]).default("tokens"),
        jwt: jwtSettings.optional(),
      })
      .prefault({})
      .refine((auth) => auth.mode !== "jwt" || auth.jwt !== undefined, {
        message: "auth.jwt is required when auth.mode is jwt",
        path: ["jwt"],
      }),
    enrollment: z
      .strictObject({
        heartbeatTtlSeconds: z.number().int().min(60).default(604_800), // 7 days
        /** When set, every enrollment must contain all of these providers. */
        requiredProviders: z.array(z.enum(PROVIDER_IDS)).min(1).optional(),
        cacheSize: z.number().int().min(1).max(10_000_000).default(100_000),
      })
      .prefault({}),
    /** Where state lives: PostgreSQL when `postgres.url` is set (replicas share it), else one SQLite file. */
    storage: z
      .strictObject({
        sqlite: z
          .strictObject({
            /** The SQLite file; `<dataDir>/byok.sqlite` by default. */
            path: z.string().min(1).optional(),
          })
          .prefault({}),
        postgres: z
          .strictObject({
            /** `postgres://…` (prefer BYOK_DATABASE_URL). */
            url: z
              .string()
              .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
              .transform((value) => new SecretKey(value)),
            /** The schema the tables live in (search_path), created when absent; `public` by default. */
            schema: z
              .string()
              .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, "must be a plain name (letters, digits, _)")
              .optional(),
            poolMax: z.number().int().min(1).max(1000).default(10),
            connectTimeoutMs: z.number().int().min(100).max(600_000).default(5000),
            statementTimeoutMs: z.number().int().min(100).max(3_600_000).default(5000),
            idleTimeoutMs: z.number().int().min(1000).max(3_600_000).default(30_000),
          })
          .optional(),
      })
      .prefault({}),
    /** Coordination across replicas (docs/deployment.md, "Redis"); every replica local when unset. */
    redis: z
      .strictObject({
        /** `redis://` or `rediss://` (prefer BYOK_REDIS_URL); a secret: it may carry a password. */
        url: secret(8, "redis.url").optional(),
        /** Every key starts with it (several gateways may share one Redis). */
        keyPrefix: z.string().min(1).max(64).default("byok:"),
        connectTimeoutMs: z.number().int().min(50).max(60_000).default(2_000),
        /** A command not answered in this long fails (and the feature falls back as documented). */
        commandTimeoutMs: z.number().int().min(10).max(60_000).default(500),
        /**
         * After Redis lost its data, operator-served admissions are refused this long while every replica
         * re-sends the holds of its calls in flight (docs/plans-and-quotas.md, "Across replicas"); 0: no fence.
         */
        quotaFenceMs: z.number().int().min(0).max(60_000).default(5_000),
      })
      .prefault({}),
    providers: z.partialRecord(z.enum(PROVIDER_IDS), providerSettings).default({}),
    /** Named backends routes may name instead of a provider (docs/features-and-routing.md, "Connections"). */
    connections: connectionsSchema,
    /** What apps name in `model` (docs/features-and-routing.md). */
    features: featuresSchema,
    /** Limits on operator-served usage (docs/plans-and-quotas.md); none: unlimited. */
    plans: plansSchema,
    /** The plan of users who have none set (admin API) or carry none (JWT claim). */
    defaultPlan: z.string().min(1).optional(),
    rateLimits: globalRateLimitsSchema,
    /** Circuit breakers per upstream (docs/features-and-routing.md, "Circuit breakers"). */
    resilience: resilienceSchema,
    metering: meteringSchema,
    /** The Responses API (`POST /v1/responses`, docs/api.md). */
    responses: z
      .strictObject({
        /**
         * Let `previous_response_id`, `conversation` and `item_reference` input items reach OpenAI on the
         * operator's key. Off by default: every user's stored responses share the operator's account there,
         * so one user could continue another's. On the user's own key (BYOK-served) they always pass.
         */
        allowStatefulOnOperatorKeys: z.boolean().default(false),
      })
      .prefault({}),
    speechToText: speechToTextSchema,
    verify: z
      .strictObject({
        /** `POST /v1/byok/verify` calls per user per minute (each makes outbound calls); 0: no limit. */
        requestsPerMinute: z.number().int().min(0).max(10_000).default(10),
        /** Each key check's time limit (connect, headers, whole call); past it the key is `unknown`. */
        timeoutMs: z.number().int().min(100).max(60_000).default(5_000),
      })
      .prefault({}),
    /** How names in `model` resolve (docs/features-and-routing.md). */
    routing: routingSchema,
    upstream: upstreamSchema,
    egress: z
      .strictObject({
        /** The custom endpoint's time limits (docs/egress.md); the guard's defaults when unset. */
        timeouts: timeoutsSchema.optional(),
        allowHosts: z.array(z.string().min(1)).default([]),
        allowCidrs: z.array(z.string().min(1)).default([]),
        allowHttpHosts: z.array(z.string().min(1)).default([]),
        unwrapNat64: z.boolean().default(false),
        /** Sockets per user-named origin of the custom endpoint (each origin has its own pool). */
        maxConnectionsPerOrigin: customMaxConnectionsSchema,
      })
      .prefault({}),
  })
  .superRefine((config, context) => {
    for (const [id, settings] of Object.entries(config.providers)) {
      const issue = (field: string, message: string) =>
        context.addIssue({ code: "custom", path: ["providers", id, field], message });
      if (id === "custom" && (settings?.apiKeys !== undefined || settings?.keyPool !== undefined))
        issue(
          settings.apiKeys === undefined ? "keyPool" : "apiKeys",
          "the custom endpoint is served on the user's key only",
        );
      if (settings?.liveBaseUrl !== undefined && id !== "deepgram")
        issue("liveBaseUrl", "only the deepgram provider has a live (WebSocket) API");
      for (const field of ["maxConnections", "http2"] as const)
        if (id === "custom" && settings?.[field] !== undefined)
          issue(field, "the custom endpoint's pools follow egress.maxConnectionsPerOrigin (HTTP/1.1 only)");
    }
    checkRouteConnections(config, context);
    // /metrics on a listener of its own needs a port of its own (0, an ephemeral port, is always free).
    const metricsPort = config.metrics.port;
    if (metricsPort !== undefined && metricsPort !== 0 && metricsPort === config.server.port) {
      context.addIssue({
        code: "custom",
        path: ["metrics", "port"],
        message: "must differ from server.port",
      });
    }
    // Cross-references: a plan named as default exists, and plan limits count real features.
    if (config.defaultPlan !== undefined && !Object.hasOwn(config.plans, config.defaultPlan)) {
      context.addIssue({
        code: "custom",
        path: ["defaultPlan"],
        message: `no plan named "${config.defaultPlan}"`,
      });
    }
    for (const ingress of INGRESSES) {
      const feature = config.routing.defaultFeatures[ingress];
      if (feature !== undefined && !Object.hasOwn(config.features, feature)) {
        context.addIssue({
          code: "custom",
          path: ["routing", "defaultFeatures", ingress],
          message: `no feature named "${feature}"`,
        });
      }
    }
    for (const [name, plan] of Object.entries(config.plans)) {
      plan.limits.forEach((limit, index) => {
        for (const feature of limit.features ?? []) {
          if (!Object.hasOwn(config.features, feature)) {
            context.addIssue({
              code: "custom",
              path: ["plans", name, "limits", index, "features"],
              message: `no feature named "${feature}"`,
            });
          }
        }
      });
    }
  });

/**
 * Routes name connections that exist; operator-only kinds are never a byokRoute; an Azure route's model
 * has a deployment.
 */
function checkRouteConnections(
  config: {
    readonly features: z.output<typeof featuresSchema>;
    readonly connections: z.output<typeof connectionsSchema>;
  },
  context: z.RefinementCtx,
): void {
  for (const [name, feature] of Object.entries(config.features)) {
    for (const list of ["routes", "byokRoutes"] as const) {
      feature[list].forEach((route, index) => {
        if (route.connection === undefined) return;
        const path = ["features", name, list, index, "connection"];
        const connection = Object.hasOwn(config.connections, route.connection)
          ? config.connections[route.connection]
          : undefined;
        if (connection === undefined) {
          context.addIssue({ code: "custom", path, message: `no connection named "${route.connection}"` });
        } else if (
          list === "byokRoutes" &&
          (connection.kind === "openai_compatible" || connection.kind === "azure")
        ) {
          // byokRoutes run only on a user's key, and no user's key ever goes to an operator backend.
          context.addIssue({
            code: "custom",
            path,
            message: `a ${connection.kind} connection is served on its own key only: list it in routes`,
          });
        } else if (connection.kind === "azure" && !Object.hasOwn(connection.deployments ?? {}, route.model)) {
          context.addIssue({
            code: "custom",
            path: ["features", name, list, index, "model"],
            message: `connections.${route.connection}.deployments has no deployment for "${route.model}"`,
          });
        }
      });
    }
  }
}

export type GatewayConfig = z.output<typeof configSchema>;
export type GatewayConfigInput = z.input<typeof configSchema>;

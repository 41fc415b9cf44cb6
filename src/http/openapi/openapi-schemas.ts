/**
 * @module http/openapi/openapi-schemas
 * The JSON Schemas (2020-12, as OpenAPI 3.1 uses) of the gateway's own request and response bodies;
 * test/http/openapi.test.ts validates real answers against them.
 */
import { MODEL_CAPABILITIES } from "../../config/feature-schema.ts";
import { errorCatalog } from "../../errors/error-catalog.ts";
import { PROVIDER_IDS } from "../../keys/provider-ids.ts";

type Schema = Readonly<Record<string, unknown>>;

const string = { type: "string" } as const;
const nullableString = { type: ["string", "null"] } as const;
const dateTime = { type: "string", format: "date-time" } as const;
const nullableDateTime = { type: ["string", "null"], format: "date-time" } as const;
const count = { type: "integer", minimum: 0 } as const;
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** A closed object: every listed property required unless named in `optional`. */
function object(properties: Record<string, unknown>, optional: readonly string[] = []): Schema {
  return {
    type: "object",
    additionalProperties: false,
    required: Object.keys(properties).filter((name) => !optional.includes(name)),
    properties,
  };
}

const providerId = { type: "string", enum: [...PROVIDER_IDS] } as const;
const fingerprint = { type: "string", pattern: "^[0-9a-f]{64}$" } as const;
/** What a user declares their custom endpoint can do (docs/features-and-routing.md). */
const customCapabilities = {
  type: "array",
  minItems: 1,
  items: { type: "string", enum: [...MODEL_CAPABILITIES] },
} as const;

const usageTotals = object({
  requests: count,
  input_tokens: count,
  output_tokens: count,
  audio_seconds: { type: "number", minimum: 0 },
  estimated_requests: count,
});

export const openapiSchemas: Readonly<Record<string, Schema>> = {
  Error: {
    description:
      "The error envelope of the gateway's own endpoints (OpenAI's shape); `type` is stable per cause. " +
      "Quota refusals add plan, meter, scope, period, used, limit and resets_at.",
    type: "object",
    required: ["error"],
    additionalProperties: false,
    properties: {
      error: {
        type: "object",
        required: ["message", "type", "param", "code"],
        properties: {
          message: string,
          type: { type: "string", enum: Object.keys(errorCatalog) },
          param: nullableString,
          code: nullableString,
          provider: string,
        },
      },
    },
  },
  EnrollmentRequest: object(
    {
      fingerprints: {
        type: "object",
        minProperties: 1,
        propertyNames: providerId,
        additionalProperties: fingerprint,
      },
      custom: object({ baseUrl: string, model: string, capabilities: customCapabilities }, [
        "model",
        "capabilities",
      ]),
    },
    ["custom"],
  ),
  EnrollmentStatus: object({
    active: { type: "boolean" },
    providers: { type: "array", items: providerId },
    custom: {
      oneOf: [
        { type: "null" },
        object({ baseUrl: string, model: nullableString, capabilities: customCapabilities }, [
          "capabilities",
        ]),
      ],
    },
    enrolledAt: nullableDateTime,
    lastSeenAt: nullableDateTime,
    expiresAt: nullableDateTime,
  }),
  VerifyResult: object({
    status: { type: "string", enum: ["valid", "invalid", "unknown"] },
    message: nullableString,
    latencyMs: count,
    httpStatus: { type: ["integer", "null"] },
    egressReason: nullableString,
  }),
  VerifyResults: object({
    results: {
      type: "object",
      propertyNames: providerId,
      additionalProperties: ref("VerifyResult"),
    },
  }),
  RoutePreview: object({
    features: {
      type: "array",
      items: object({
        feature: string,
        aliases: { type: "array", items: string },
        operation: { type: "string", enum: ["chat", "embeddings", "stt"] },
        source: { type: ["string", "null"], enum: ["byok", "operator", null] },
        provider: nullableString,
        model: nullableString,
        reason: nullableString,
      }),
    },
  }),
  UsageReport: object({
    user: string,
    plan: nullableString,
    limits: {
      type: "array",
      items: object({
        meter: string,
        period: string,
        scope: string,
        features: { type: ["array", "null"], items: string },
        used: { type: "number" },
        limit: { type: "number" },
        remaining: { type: "number" },
        resets_at: dateTime,
      }),
    },
    usage: object({
      from: dateTime,
      to: dateTime,
      byok: usageTotals,
      operator: usageTotals,
      by_feature: {
        type: "array",
        items: {
          type: "object",
          required: ["feature", "source", "requests"],
          properties: {
            feature: nullableString,
            source: { type: "string", enum: ["byok", "operator"] },
            ...(usageTotals.properties as Record<string, unknown>),
          },
        },
      },
    }),
  }),
  ListenTicket: object({ ticket: string, expires_at: dateTime, expires_in: count }),
  CreateUserRequest: object({ id: string, plan: nullableString }, ["plan"]),
  UserToken: object({ id: string, token: string }),
  UserList: object({
    data: {
      type: "array",
      items: object({ id: string, plan: nullableString, createdAt: dateTime, revokedAt: nullableDateTime }),
    },
  }),
  UserRevoked: object({ id: string, revoked: { const: true } }),
  PlanRequest: object({ plan: nullableString }),
  UserPlan: object({ id: string, plan: nullableString }),
  UsageSeries: object({
    data: {
      type: "array",
      items: object({
        bucketStart: { ...dateTime, description: "The bucket's start (UTC), an ISO 8601 timestamp." },
        source: { type: "string", enum: ["byok", "operator"] },
        requests: count,
        inputTokens: count,
        outputTokens: count,
        audioSeconds: { type: "number", minimum: 0, description: "Audio seconds, to the millisecond." },
        estimatedRequests: count,
      }),
    },
  }),
  SettingsLinkRequest: object(
    { userId: string, ttlSeconds: { type: "integer", minimum: 60, maximum: 3600, default: 900 } },
    ["ttlSeconds"],
  ),
  SettingsLink: object({
    url: { type: "string", pattern: "^/settings/#token=bst_" },
    token: { type: "string", pattern: "^bst_" },
    expiresAt: dateTime,
  }),
  BreakerList: object({
    data: {
      type: "array",
      items: object({
        upstream: { type: "string", description: "`<connection>|<source>`, e.g. `azure-eu|operator`." },
        state: { type: "string", enum: ["closed", "half_open", "open"] },
        failures: count,
        retryAt: { ...nullableDateTime, description: "When an open breaker lets a probe through." },
      }),
    },
  }),
  BreakerResetRequest: object({
    upstream: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9_-]*\\|(byok|operator)$" },
  }),
  BreakerReset: object({
    upstream: string,
    state: { const: "closed" },
    shared: { type: "boolean", description: "Every replica was told (Redis answered)." },
  }),
  Health: object({ status: string }),
};

/**
 * @module http/openapi/build-openapi-document
 * GET /openapi.json: OpenAPI 3.1 for the gateway's own endpoints. The proxied model endpoints (OpenAI,
 * Anthropic and Deepgram dialects) are listed with a pointer to their providers' published descriptions.
 */
import { openapiSchemas } from "./openapi-schemas.ts";

type Json = Readonly<Record<string, unknown>>;

const json = (schema: string) => ({
  content: { "application/json": { schema: { $ref: `#/components/schemas/${schema}` } } },
});
const answer = (description: string, schema: string) => ({ description, ...json(schema) });
const errors = { default: answer("An error in the gateway's envelope.", "Error") };
const user = [{ bearer: [] }];
const userOrSettings = [{ bearer: [] }, { settingsToken: [] }];
const admin = [{ adminToken: [] }];

const byokHeaders = [
  "OpenAI",
  "Anthropic",
  "Gemini",
  "OpenRouter",
  "Deepgram",
  "Custom",
  "Custom-Base-Url",
  "Custom-Model",
].map((name) => ({
  name: `X-BYOK-${name}`,
  in: "header",
  required: false,
  schema: { type: "string" },
  description: name.startsWith("Custom-")
    ? "Custom endpoint setting (never a key)."
    : `The user's ${name} key.`,
}));
const userId = { name: "id", in: "path", required: true, schema: { type: "string" } };

function operation(summary: string, security: unknown, responses: Json, extra: Json = {}): Json {
  return { summary, security, responses: { ...responses, ...errors }, ...extra };
}

/** Paths served by the gateway but described by their providers: OpenAI, Anthropic, Deepgram. */
export const PROXIED_PATHS: Readonly<Record<string, { methods: readonly string[]; url: string }>> = {
  "/v1/chat/completions": { methods: ["post"], url: "https://platform.openai.com/docs/api-reference/chat" },
  "/v1/responses": { methods: ["post"], url: "https://platform.openai.com/docs/api-reference/responses" },
  "/v1/embeddings": { methods: ["post"], url: "https://platform.openai.com/docs/api-reference/embeddings" },
  "/v1/models": { methods: ["get"], url: "https://platform.openai.com/docs/api-reference/models" },
  "/v1/models/{model}": {
    methods: ["get"],
    url: "https://platform.openai.com/docs/api-reference/models/retrieve",
  },
  "/v1/messages": { methods: ["post"], url: "https://docs.anthropic.com/en/api/messages" },
  "/v1/messages/count_tokens": {
    methods: ["post"],
    url: "https://docs.anthropic.com/en/api/messages-count-tokens",
  },
  "/v1/listen": { methods: ["get", "post"], url: "https://developers.deepgram.com/reference/listen-file" },
};

/** A templated path's parameters (`/v1/models/{model}`: the model id, which may hold `/`). */
const pathParameters = (path: string) =>
  [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: "path",
    required: true,
    schema: { type: "string" },
  }));

function proxiedPaths(): Record<string, Json> {
  const paths: Record<string, Json> = {};
  for (const [path, { methods, url }] of Object.entries(PROXIED_PATHS)) {
    paths[path] = Object.fromEntries(
      methods.map((method) => [
        method,
        {
          summary: "Proxied model endpoint in its provider's dialect (see externalDocs).",
          security: user,
          parameters: [...pathParameters(path), ...byokHeaders],
          externalDocs: { url },
          responses: errors,
        },
      ]),
    );
  }
  return paths;
}

export function buildOpenApiDocument(version: string): Json {
  const recovery = { parameters: byokHeaders };
  return {
    openapi: "3.1.0",
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    info: {
      title: "byok-gateway",
      version,
      description:
        "The gateway's own endpoints; see docs/api.md. Model endpoints keep their providers' dialects.",
    },
    paths: {
      "/v1/byok/enrollment": {
        put: operation(
          "Replace the enrollment",
          userOrSettings,
          { 200: answer("The new status.", "EnrollmentStatus") },
          {
            ...recovery,
            requestBody: { required: true, ...json("EnrollmentRequest") },
          },
        ),
        get: operation(
          "Enrollment status",
          userOrSettings,
          { 200: answer("The status.", "EnrollmentStatus") },
          recovery,
        ),
        delete: operation(
          "Delete the enrollment",
          userOrSettings,
          { 200: answer("The status.", "EnrollmentStatus") },
          recovery,
        ),
      },
      "/v1/byok/heartbeat": {
        post: operation(
          "Renew the enrollment",
          userOrSettings,
          { 200: answer("The status.", "EnrollmentStatus") },
          recovery,
        ),
      },
      "/v1/byok/verify": {
        post: operation(
          "Check the presented keys live",
          userOrSettings,
          {
            200: answer("One result per presented key.", "VerifyResults"),
          },
          recovery,
        ),
      },
      "/v1/byok/routes": {
        get: operation(
          "Route preview for the presented keys",
          userOrSettings,
          {
            200: answer("Each feature's route.", "RoutePreview"),
          },
          recovery,
        ),
      },
      "/v1/usage": {
        get: operation(
          "The caller's limits and usage",
          userOrSettings,
          { 200: answer("The report.", "UsageReport") },
          recovery,
        ),
      },
      "/v1/listen/tickets": {
        post: operation(
          "A single-use ticket for the live socket",
          user,
          { 201: answer("The ticket.", "ListenTicket") },
          {
            parameters: [
              { name: "model", in: "query", required: true, schema: { type: "string" } },
              ...byokHeaders,
            ],
          },
        ),
      },
      "/admin/users": {
        post: operation(
          "Create a user",
          admin,
          { 201: answer("The user and their token (shown once).", "UserToken") },
          {
            requestBody: { required: true, ...json("CreateUserRequest") },
          },
        ),
        get: operation("List users", admin, { 200: answer("Every user.", "UserList") }),
      },
      "/admin/users/{id}": {
        delete: operation(
          "Revoke a user",
          admin,
          { 200: answer("Revoked.", "UserRevoked") },
          { parameters: [userId] },
        ),
      },
      "/admin/users/{id}/tokens": {
        post: operation(
          "Issue one more token",
          admin,
          { 201: answer("The token.", "UserToken") },
          { parameters: [userId] },
        ),
      },
      "/admin/users/{id}/plan": {
        put: operation(
          "Set a user's plan",
          admin,
          { 200: answer("The plan.", "UserPlan") },
          {
            parameters: [userId],
            requestBody: { required: true, ...json("PlanRequest") },
          },
        ),
      },
      "/admin/users/{id}/usage": {
        get: operation(
          "A user's usage report",
          admin,
          { 200: answer("The report.", "UsageReport") },
          { parameters: [userId] },
        ),
      },
      "/admin/usage": {
        get: operation(
          "Usage over time",
          admin,
          { 200: answer("Buckets.", "UsageSeries") },
          {
            parameters: ["from", "to", "bucket", "user"].map((name) => ({
              name,
              in: "query",
              required: false,
              schema: { type: "string" },
            })),
          },
        ),
      },
      "/admin/settings-links": {
        post: operation(
          "Mint a settings link",
          admin,
          { 201: answer("The link.", "SettingsLink") },
          {
            requestBody: { required: true, ...json("SettingsLinkRequest") },
          },
        ),
      },
      "/admin/breakers": {
        get: operation("Circuit breakers", admin, {
          200: answer("Every breaker with state.", "BreakerList"),
        }),
      },
      "/admin/breakers/reset": {
        post: operation(
          "Close an upstream's circuit breaker",
          admin,
          { 200: answer("Closed (on every replica when `shared`).", "BreakerReset") },
          { requestBody: { required: true, ...json("BreakerResetRequest") } },
        ),
      },
      "/settings/": {
        get: {
          summary: "The settings page (HTML)",
          security: [],
          responses: { 200: { description: "The page.", content: { "text/html": {} } }, ...errors },
        },
      },
      "/settings/{asset}": {
        get: {
          summary: "The settings page's script and style",
          security: [],
          parameters: [
            {
              name: "asset",
              in: "path",
              required: true,
              schema: { type: "string", enum: ["settings.html", "settings.js", "settings.css"] },
            },
          ],
          responses: { 200: { description: "The file." }, ...errors },
        },
      },
      "/openapi.json": {
        get: {
          summary: "This document",
          security: [],
          responses: { 200: { description: "OpenAPI 3.1.", content: { "application/json": {} } } },
        },
      },
      "/healthz": { get: { summary: "Liveness", security: [], responses: { 200: answer("Up.", "Health") } } },
      "/readyz": {
        get: {
          summary: "Readiness",
          security: [],
          responses: { 200: answer("Ready.", "Health"), 503: answer("Not ready.", "Health") },
        },
      },
      "/metrics": {
        get: {
          summary: "Prometheus metrics",
          security: [],
          responses: { 200: { description: "Prometheus text.", content: { "text/plain": {} } } },
        },
      },
      ...proxiedPaths(),
    },
    components: {
      schemas: openapiSchemas,
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "A gateway token or a JWT (auth.mode)." },
        settingsToken: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "bst_…",
          description: "A settings token (settings endpoints only).",
        },
        adminToken: { type: "http", scheme: "bearer", description: "The admin token." },
      },
    },
  };
}

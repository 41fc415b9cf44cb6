/**
 * @module library/byok-endpoints
 * The BYOK endpoints (enrollment, heartbeat, verify, route preview, usage) as one table that the gateway
 * and every adapter mount: each a recovery path that strips stale keys, open to settings tokens.
 */
import type { EnrollmentStatus } from "../enrollment/enrollment-status.ts";
import type { EnrollmentBody } from "../enrollment/parse-enrollment-body.ts";
import type { VerifyResults } from "../enrollment/verify-result.ts";
import type { HeaderBag } from "../keys/parse-byok-headers.ts";
import type { UsageReport } from "../metering/create-usage-report.ts";
import type { RoutePreview } from "../routing/index.ts";
import type { Byok } from "./create-byok.ts";
import {
  type ErrorAnswer,
  type GuardOptions,
  type GuardOutcome,
  guardRequest,
  toErrorAnswer,
} from "./guard-request.ts";
import type { RequestContext } from "./request-context.ts";

export type ByokEndpointMethod = "GET" | "PUT" | "POST" | "DELETE";

/** What each endpoint reads and answers (200), keyed by method and the gateway's path: typed clients and handlers. */
export interface ByokEndpointTypes {
  "PUT /v1/byok/enrollment": { readonly body: EnrollmentBody; readonly answer: EnrollmentStatus };
  "GET /v1/byok/enrollment": { readonly body: undefined; readonly answer: EnrollmentStatus };
  "DELETE /v1/byok/enrollment": { readonly body: undefined; readonly answer: EnrollmentStatus };
  "POST /v1/byok/heartbeat": { readonly body: undefined; readonly answer: EnrollmentStatus };
  "POST /v1/byok/verify": { readonly body: undefined; readonly answer: VerifyResults };
  "GET /v1/byok/routes": { readonly body: undefined; readonly answer: RoutePreview };
  "GET /v1/usage": { readonly body: undefined; readonly answer: UsageReport };
}

export interface ByokEndpoint {
  readonly method: ByokEndpointMethod;
  /** The gateway's own path; an adapter mounts it under its prefix. */
  readonly path: string;
  readonly keys: NonNullable<GuardOptions["keys"]>;
  /** True when it reads a JSON body (only the enrollment's PUT). */
  readonly body: boolean;
  run(byok: Byok, request: ByokEndpointRequest): Promise<unknown>;
}

export interface ByokEndpointRequest {
  readonly context: RequestContext;
  readonly headers: HeaderBag;
  /** The parsed JSON body (untrusted: the endpoint parses it); undefined without one. */
  readonly body: unknown;
}

/** A mounted endpoint's answer: 200 with the JSON result, or the gateway's error answer. */
export type ByokEndpointAnswer =
  | { readonly status: 200; readonly headers: Readonly<Record<string, string>>; readonly body: unknown }
  | ErrorAnswer;

const recovery = (
  method: ByokEndpointMethod,
  path: string,
  run: ByokEndpoint["run"],
  body = false,
): ByokEndpoint => ({ method, path, keys: "recovery", body, run });

export const BYOK_ENDPOINTS: readonly ByokEndpoint[] = Object.freeze([
  recovery(
    "PUT",
    "/v1/byok/enrollment",
    (byok, { context, body }) => byok.enrollment.enroll(context.principal.userId, body), // parsed there (untrusted)
    true,
  ),
  recovery("GET", "/v1/byok/enrollment", (byok, { context }) =>
    byok.enrollment.status(context.principal.userId),
  ),
  recovery("DELETE", "/v1/byok/enrollment", (byok, { context }) =>
    byok.enrollment.remove(context.principal.userId),
  ),
  recovery("POST", "/v1/byok/heartbeat", (byok, { context }) =>
    byok.enrollment.heartbeat(context.principal.userId),
  ),
  // Checks the keys as presented (never the enrollment's verdict on them): no validation step at all.
  {
    method: "POST",
    path: "/v1/byok/verify",
    keys: "skip",
    body: false,
    run: (byok, { context, headers }) => byok.verifyKeys(context.principal.userId, headers),
  },
  recovery("GET", "/v1/byok/routes", async (byok, { context }) => byok.pipeline.previewRoutes(context.byok)),
  recovery("GET", "/v1/usage", (byok, { context }) =>
    byok.usage.report(context.principal.userId, context.principal.plan),
  ),
]);

/** The endpoint at `path` (below the adapter's prefix) for `method`, if any. */
export function findByokEndpoint(method: string, path: string): ByokEndpoint | undefined {
  const upper = method.toUpperCase();
  return BYOK_ENDPOINTS.find((endpoint) => endpoint.method === upper && endpoint.path === path);
}

/**
 * Answers one endpoint: authentication and the key check before the body is read (`readBody` is called
 * only for an authenticated request to an endpoint that takes one), then the endpoint itself.
 * Rejects only with an error that is not the gateway's, which the adapter passes on.
 */
export async function answerByokEndpoint(
  byok: Byok,
  endpoint: ByokEndpoint,
  headers: HeaderBag & { authorization?: unknown },
  readBody: () => Promise<unknown>,
): Promise<ByokEndpointAnswer> {
  const guarded = await guardByokEndpoint(byok, endpoint, headers);
  if (!guarded.ok) return guarded;
  return runByokEndpoint(byok, endpoint, guarded, headers, readBody);
}

/** The guard of one endpoint: its key mode, settings tokens accepted. */
export function guardByokEndpoint(
  byok: Byok,
  endpoint: ByokEndpoint,
  headers: HeaderBag & { authorization?: unknown },
): Promise<GuardOutcome> {
  return guardRequest(byok, headers, { keys: endpoint.keys, allowSettingsToken: true });
}

/** Runs one endpoint for a request its guard let through (for adapters that guard before reading the body). */
export async function runByokEndpoint(
  byok: Byok,
  endpoint: ByokEndpoint,
  guarded: Extract<GuardOutcome, { ok: true }>,
  headers: HeaderBag,
  readBody: () => Promise<unknown>,
): Promise<ByokEndpointAnswer> {
  try {
    const body = endpoint.body ? await readBody() : undefined;
    const result = await endpoint.run(byok, { context: guarded.context, headers, body });
    return { status: 200, headers: guarded.headers, body: result };
  } catch (error) {
    const answer = toErrorAnswer(error);
    if (answer === null) throw error;
    // The keys were checked (stripped, on these recovery paths): the status says so on errors too.
    return { ...answer, headers: { ...guarded.headers, ...answer.headers } };
  }
}

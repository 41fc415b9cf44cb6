/**
 * @module test/support/gateway-client
 * Small fetch helpers for tests: users with tokens, enrollment bodies, JSON calls.
 */
import { computeFingerprint } from "../../src/keys/index.ts";
import { ADMIN_TOKEN, type TestGateway } from "./start-gateway.ts";

export interface JsonResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
  readonly text: string;
}

export async function call(
  gateway: TestGateway,
  method: string,
  path: string,
  options: { token?: string; headers?: Record<string, string>; body?: unknown; rawBody?: string } = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers["content-type"] ??= "application/json";
  const response = await fetch(`${gateway.url}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text === "" ? null : JSON.parse(text);
  } catch {
    parsed = null;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

export async function addUser(gateway: TestGateway, id: string, plan?: string): Promise<string> {
  const response = await call(gateway, "POST", "/admin/users", {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    body: plan ? { id, plan } : { id },
  });
  if (response.status !== 201) throw new Error(`addUser failed: ${response.status} ${response.text}`);
  return (response.body as { token: string }).token;
}

/** PUT /v1/byok/enrollment with fingerprints computed from raw keys, as a client would. */
export async function enroll(
  gateway: TestGateway,
  token: string,
  keys: Record<string, string>,
  custom?: { baseUrl: string; model?: string },
): Promise<JsonResponse> {
  const fingerprints = Object.fromEntries(
    Object.entries(keys).map(([provider, key]) => [provider, computeFingerprint(key)]),
  );
  return call(gateway, "PUT", "/v1/byok/enrollment", {
    token,
    body: custom ? { fingerprints, custom } : { fingerprints },
  });
}

export function errorOf(response: JsonResponse): {
  type: string;
  message: string;
  param: string | null;
  code: string | null;
  provider?: string;
} {
  return (
    response.body as {
      error: { type: string; message: string; param: string | null; code: string | null; provider?: string };
    }
  ).error;
}

/**
 * @module client/create-byok-client
 * The gateway client: enrollment, verify, route preview, usage and a fetch that adds the keys' headers.
 */
import { ByokClientError } from "./byok-client-error.ts";
import { fingerprint } from "./fingerprint.ts";
import { headers } from "./headers.ts";
import type {
  EnrollmentStatus,
  ProviderId,
  RoutePreview,
  UsageReport,
  UserKeys,
  VerifyResults,
} from "./types.ts";

export interface ByokClientOptions {
  baseUrl: string;
  token: string | (() => string | Promise<string>);
  fetch?: typeof fetch;
}

export interface ByokClient {
  enroll(keys: UserKeys): Promise<EnrollmentStatus>;
  status(): Promise<EnrollmentStatus>;
  heartbeat(): Promise<EnrollmentStatus>;
  remove(): Promise<EnrollmentStatus>;
  verify(keys: UserKeys): Promise<VerifyResults>;
  routes(keys: UserKeys): Promise<RoutePreview>;
  usage(keys?: UserKeys): Promise<UsageReport>;
  fetch(input: string, init?: RequestInit, keys?: UserKeys): Promise<Response>;
  startHeartbeats(options?: { intervalMs?: number }): () => void;
}

const KEY_PROVIDERS: readonly ProviderId[] = [
  "openai",
  "anthropic",
  "gemini",
  "openrouter",
  "deepgram",
  "custom",
];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

async function toError(response: Response): Promise<ByokClientError> {
  const body: unknown = await response.json().catch(() => null);
  const error = isRecord(body) && isRecord(body.error) ? body.error : {};
  const text = (value: unknown) => (typeof value === "string" ? value : null);
  return new ByokClientError(
    response.status,
    text(error.type) ?? "http_error",
    text(error.message) ?? `The gateway answered ${response.status}.`,
    text(error.param),
    text(error.code),
  );
}

export function createByokClient(options: ByokClientOptions): ByokClient {
  const send = options.fetch ?? globalThis.fetch.bind(globalThis);
  const base = options.baseUrl.replace(/\/+$/, "");
  const token = async () => (typeof options.token === "function" ? options.token() : options.token);

  async function call(input: string, init: RequestInit = {}, keys?: UserKeys): Promise<Response> {
    const merged = new Headers(init.headers);
    merged.set("authorization", `Bearer ${await token()}`);
    for (const [name, value] of Object.entries(keys ? headers(keys) : {})) merged.set(name, value);
    const url = /^https?:/.test(input) ? input : `${base}${input}`;
    return send(url, { ...init, headers: merged });
  }

  async function json<T>(path: string, init?: RequestInit, keys?: UserKeys): Promise<T> {
    const response = await call(path, init, keys);
    if (!response.ok) throw await toError(response);
    return (await response.json()) as T;
  }

  return {
    async enroll(keys) {
      const fingerprints: Record<string, string> = {};
      for (const provider of KEY_PROVIDERS) {
        const key = keys[provider];
        if (key?.trim()) fingerprints[provider] = await fingerprint(key);
      }
      const body: Record<string, unknown> = { fingerprints };
      if (fingerprints.custom) {
        body.custom = {
          baseUrl: keys.customBaseUrl ?? "",
          ...(keys.customModel ? { model: keys.customModel } : {}),
        };
      }
      return json("/v1/byok/enrollment", {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    },
    status: () => json("/v1/byok/enrollment"),
    heartbeat: () => json("/v1/byok/heartbeat", { method: "POST" }),
    remove: () => json("/v1/byok/enrollment", { method: "DELETE" }),
    verify: (keys) => json("/v1/byok/verify", { method: "POST" }, keys),
    routes: (keys) => json("/v1/byok/routes", {}, keys),
    usage: (keys) => json("/v1/usage", {}, keys),
    fetch: call,
    startHeartbeats(heartbeatOptions = {}) {
      const timer = setInterval(
        () => {
          this.heartbeat().catch(() => undefined);
        },
        heartbeatOptions.intervalMs ?? 6 * 3600_000,
      );
      return () => clearInterval(timer);
    },
  };
}

/**
 * @module client/create-byok-client
 * The app's side of the gateway's user endpoints: enrollment, heartbeats, verify, route preview, usage, and a
 * fetch that attaches the token and keys to the gateway's own URLs only.
 */
import { ByokClientError, readByokClientError } from "./byok-client-error.ts";
import { fingerprint } from "./fingerprint.ts";
import type { EnrollmentStatus, RoutePreview, UsageReport, VerifyResults } from "./gateway-types.ts";
import { headers } from "./headers.ts";
import { type HeartbeatOptions, startHeartbeats } from "./start-heartbeats.ts";
import { PROVIDER_IDS, type ProviderId, presentValue, type UserKeys } from "./user-keys.ts";

export interface ByokClientOptions {
  /** The gateway's base URL (`https://gateway.example.com`), without `/v1`. */
  baseUrl: string;
  /** A gateway token or settings token, or a function giving the current one (called for each request). */
  token: string | (() => string | Promise<string>);
  fetch?: typeof fetch;
}

export interface ByokClient {
  /** Enrolls the keys' fingerprints (raw keys never leave the device here) and the custom endpoint. */
  enroll(keys: UserKeys, options?: EnrollOptions): Promise<EnrollmentStatus>;
  status(): Promise<EnrollmentStatus>;
  heartbeat(): Promise<EnrollmentStatus>;
  /** Deletes the enrollment. */
  remove(): Promise<EnrollmentStatus>;
  /** Checks each key live with its provider; never changes the enrollment. */
  verify(keys: UserKeys): Promise<VerifyResults>;
  /** Which of the app's features would run on whose key, for these keys. */
  routes(keys: UserKeys): Promise<RoutePreview>;
  usage(keys?: UserKeys): Promise<UsageReport>;
  /** `fetch` to a gateway URL (or a path under it) with the token (unless set) and the keys' headers. */
  fetch(input: string | URL | Request, init?: RequestInit, keys?: UserKeys): Promise<Response>;
  /** Heartbeats until the returned function is called. */
  startHeartbeats(options?: HeartbeatOptions): () => void;
}

/** What an enrollment declares besides the keys. */
export interface EnrollOptions {
  /**
   * What the custom endpoint can do (`chat`, `streaming`, `tools`, `json_schema`, `vision`, `embeddings`):
   * the gateway routes to it only what is declared, within the app's own limit. Unset: the app's limit.
   */
  readonly customCapabilities?: readonly string[];
}

interface EnrollmentBody {
  fingerprints: Partial<Record<ProviderId, string>>;
  custom?: { baseUrl?: string; model?: string; capabilities?: readonly string[] };
}

/** Statuses a `fetch` with `redirect: "follow"` would follow. */
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/**
 * Every call that carries the token or keys goes with `redirect: "manual"`: a redirect is never followed
 * (it could lead anywhere, and the `X-BYOK-*` headers would go with it) but refused as an error.
 */
function refuseRedirect(response: Response): Response {
  if (response.type === "opaqueredirect" || REDIRECT_STATUSES.has(response.status)) {
    throw new ByokClientError({
      status: response.status,
      type: "unexpected_response",
      code: "redirect",
      message:
        "The gateway answered with a redirect; the kit never follows one with the token and keys (set baseUrl to the gateway's final URL)",
    });
  }
  return response;
}

export function createByokClient(options: ByokClientOptions): ByokClient {
  const base = new URL(options.baseUrl);
  const baseUrl = base.href.replace(/\/+$/, "");
  const basePath = base.pathname.replace(/\/+$/, "");
  const send = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  /** The current token; the app's token function failing is a `ByokClientError` like every other failure. */
  const token = async (): Promise<string> => {
    try {
      return typeof options.token === "function" ? await options.token() : options.token;
    } catch (cause) {
      throw new ByokClientError({
        status: 0,
        type: "token_error",
        message: "The token function failed; nothing was sent",
        cause,
      });
    }
  };

  async function request<T>(method: string, path: string, keys?: UserKeys, body?: unknown): Promise<T> {
    const requestHeaders: Record<string, string> = {
      ...(keys ? headers(keys) : {}),
      Authorization: `Bearer ${await token()}`,
    };
    if (body !== undefined) requestHeaders["Content-Type"] = "application/json";
    let response: Response;
    try {
      response = await send(`${baseUrl}${path}`, {
        method,
        headers: requestHeaders,
        redirect: "manual",
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (cause) {
      throw new ByokClientError({
        status: 0,
        type: "network_error",
        message: "The gateway could not be reached",
        cause,
      });
    }
    refuseRedirect(response);
    if (!response.ok) throw await readByokClientError(response);
    try {
      return (await response.json()) as T;
    } catch (cause) {
      throw new ByokClientError({
        status: response.status,
        type: "unexpected_response",
        message: "The gateway's answer is not JSON",
        cause,
      });
    }
  }

  /** True for a URL on the gateway's origin under its base path. */
  const isGatewayUrl = (url: URL) =>
    url.origin === base.origin && (url.pathname === basePath || url.pathname.startsWith(`${basePath}/`));

  const client: ByokClient = {
    async enroll(keys, enrollOptions) {
      const body: EnrollmentBody = { fingerprints: {} };
      for (const provider of PROVIDER_IDS) {
        const key = presentValue(keys, provider);
        if (key !== undefined) body.fingerprints[provider] = await fingerprint(key);
      }
      if (body.fingerprints.custom !== undefined) {
        const baseUrl = presentValue(keys, "customBaseUrl");
        const model = presentValue(keys, "customModel");
        const capabilities = enrollOptions?.customCapabilities;
        body.custom = {
          ...(baseUrl === undefined ? {} : { baseUrl }),
          ...(model === undefined ? {} : { model }),
          ...(capabilities === undefined ? {} : { capabilities }),
        };
      }
      return request("PUT", "/v1/byok/enrollment", undefined, body);
    },
    status: () => request("GET", "/v1/byok/enrollment"),
    heartbeat: () => request("POST", "/v1/byok/heartbeat"),
    remove: () => request("DELETE", "/v1/byok/enrollment"),
    verify: (keys) => request("POST", "/v1/byok/verify", keys),
    routes: (keys) => request("GET", "/v1/byok/routes", keys),
    usage: (keys) => request("GET", "/v1/usage", keys),
    async fetch(input, init, keys) {
      const raw = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
      const url = new URL(raw.startsWith("/") ? `${baseUrl}${raw}` : raw);
      if (!isGatewayUrl(url)) {
        throw new TypeError("The BYOK client's fetch sends the token and keys to the gateway's baseUrl only");
      }
      const merged = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
      for (const [name, value] of Object.entries(keys ? headers(keys) : {})) merged.set(name, value);
      if (!merged.has("authorization")) merged.set("authorization", `Bearer ${await token()}`);
      // `redirect` after `init`: a caller's "follow" would carry the keys wherever the redirect points.
      const response = await send(input instanceof Request ? input : url, {
        ...init,
        headers: merged,
        redirect: "manual",
      });
      return refuseRedirect(response);
    },
    startHeartbeats: (heartbeatOptions) => startHeartbeats(() => client.heartbeat(), heartbeatOptions),
  };
  return client;
}

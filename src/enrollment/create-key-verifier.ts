/**
 * @module enrollment/create-key-verifier
 * Checks presented keys live, in parallel, each within a short time limit: the core of
 * `POST /v1/byok/verify` and of `byok-gateway verify`. Never reads or changes an enrollment.
 */
import type { UpstreamClient, UpstreamTimeouts } from "../egress/index.ts";
import type { PresentedByok } from "../keys/parse-byok-headers.ts";
import { CUSTOM_BASE_URL_HEADER, type ProviderId } from "../keys/provider-ids.ts";
import type { SecretKey } from "../keys/secret-key.ts";
import type { ProviderRegistry } from "../providers/index.ts";
import type { CheckCustomBaseUrl } from "./check-custom-base-url.ts";
import { probeKey } from "./probe-key.ts";
import type { VerifyResult, VerifyResults } from "./verify-result.ts";

export interface KeyVerifierOptions {
  readonly registry: ProviderRegistry;
  readonly upstream: UpstreamClient;
  /** The operator's base URL for a provider (`providers.<id>.baseUrl`, else the adapter's default). */
  readonly baseUrlOf: (provider: ProviderId) => string | null;
  /** The egress guard's verdict on a custom base URL (the same check as at enrollment). */
  readonly checkCustomBaseUrl: CheckCustomBaseUrl;
  /** Each probe's time limit (connect, headers and total). */
  readonly timeoutMs: number;
}

export interface KeyVerifier {
  /**
   * Checks every presented key; `customBaseUrl` is the custom endpoint to check the custom key against
   * (the request's header, else the enrolled one), null when there is none. An unusable
   * X-BYOK-Custom-Base-Url (in `presented.malformedSettings`) makes the custom key invalid whatever
   * `customBaseUrl` says: the key is sent nowhere.
   */
  verify(presented: PresentedByok, customBaseUrl: string | null): Promise<VerifyResults>;
}

const MALFORMED: VerifyResult = {
  status: "invalid",
  message: "The key is malformed: printable ASCII without spaces, at most 4096 characters.",
  latencyMs: 0,
  httpStatus: null,
  egressReason: null,
};

const NO_CUSTOM_BASE_URL: VerifyResult = {
  status: "invalid",
  message:
    "No custom base URL: send X-BYOK-Custom-Base-Url (the enrolled one is checked only with the enrolled key).",
  latencyMs: 0,
  httpStatus: null,
  egressReason: null,
};

const UNUSABLE_CUSTOM_BASE_URL: VerifyResult = {
  status: "invalid",
  message:
    "X-BYOK-Custom-Base-Url is unusable (sent more than once, or longer than 2048 characters); the key was not sent.",
  latencyMs: 0,
  httpStatus: null,
  egressReason: "url_invalid",
};

export function createKeyVerifier(options: KeyVerifierOptions): KeyVerifier {
  const timeouts: UpstreamTimeouts = {
    connectMs: options.timeoutMs,
    headersMs: options.timeoutMs,
    bodyIdleMs: options.timeoutMs,
    totalMs: options.timeoutMs,
  };

  async function verifyCustom(
    key: SecretKey,
    customBaseUrl: string | null,
    secrets: readonly SecretKey[],
  ): Promise<VerifyResult> {
    if (customBaseUrl === null) return NO_CUSTOM_BASE_URL;
    const started = performance.now();
    const verdict = await options.checkCustomBaseUrl(customBaseUrl);
    if (!verdict.ok) {
      return {
        status: "invalid",
        message: verdict.message,
        latencyMs: Math.round(performance.now() - started),
        httpStatus: null,
        egressReason: verdict.reason,
      };
    }
    const provider = options.registry.get("custom")!;
    const result = await probeKey({
      provider,
      baseUrl: verdict.normalized,
      key,
      guarded: true,
      upstream: options.upstream,
      timeouts,
      secrets,
    });
    return { ...result, latencyMs: Math.round(performance.now() - started) };
  }

  return {
    async verify(presented, customBaseUrl) {
      const secrets = Object.values(presented.keys) as SecretKey[];
      const checks: Array<Promise<readonly [ProviderId, VerifyResult]>> = [];
      for (const provider of presented.malformed) checks.push(Promise.resolve([provider, MALFORMED]));
      for (const [id, key] of Object.entries(presented.keys) as Array<[ProviderId, SecretKey]>) {
        const adapter = options.registry.get(id);
        if (adapter === undefined) continue;
        if (id === "custom") {
          if (presented.malformedSettings.includes(CUSTOM_BASE_URL_HEADER)) {
            checks.push(Promise.resolve([id, UNUSABLE_CUSTOM_BASE_URL] as const));
            continue;
          }
          checks.push(verifyCustom(key, customBaseUrl, secrets).then((result) => [id, result] as const));
          continue;
        }
        const baseUrl = options.baseUrlOf(id);
        if (baseUrl === null) continue;
        checks.push(
          probeKey({
            provider: adapter,
            baseUrl,
            key,
            guarded: false,
            upstream: options.upstream,
            timeouts,
            secrets,
          }).then((result) => [id, result] as const),
        );
      }
      const settled = await Promise.all(checks);
      return { results: Object.fromEntries(settled) };
    },
  };
}

/**
 * @module library/create-configured-key-verifier
 * The live key checks under the operator's configuration: each provider's configured base URL (else its
 * default), the custom endpoint through the egress guard, `verify.timeoutMs` per check. The gateway and
 * `byok-gateway verify` both build theirs here.
 */
import type { GatewayConfig } from "../config/config-schema.ts";
import type { EgressPolicy, UpstreamClient } from "../egress/index.ts";
import { createCustomBaseUrlCheck } from "../enrollment/check-custom-base-url.ts";
import { createKeyVerifier, type KeyVerifier } from "../enrollment/create-key-verifier.ts";
import type { ProviderRegistry } from "../providers/index.ts";

export function createConfiguredKeyVerifier(
  config: GatewayConfig,
  policy: EgressPolicy,
  upstream: UpstreamClient,
  registry: ProviderRegistry,
): KeyVerifier {
  return createKeyVerifier({
    registry,
    upstream,
    // The custom endpoint never takes the operator's base URL.
    baseUrlOf: (id) =>
      id === "custom" ? null : (config.providers[id]?.baseUrl ?? registry.get(id)?.defaultBaseUrl ?? null),
    checkCustomBaseUrl: createCustomBaseUrlCheck(policy),
    timeoutMs: config.verify.timeoutMs,
  });
}

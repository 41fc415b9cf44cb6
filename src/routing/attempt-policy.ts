/**
 * @module routing/attempt-policy
 * The fallback and retry settings one feature's requests follow: `routing.fallback` / `routing.retry`
 * with the feature's own overrides on top (the defaults object itself when it overrides nothing).
 */
import {
  FALLBACK_DEFAULTS,
  type FallbackConfig,
  RETRY_DEFAULTS,
  type RetryConfig,
} from "../config/attempt-policy-schema.ts";
import type { FeatureConfig } from "../config/feature-schema.ts";
import type { RoutingTable } from "./routing-table.ts";

export interface AttemptPolicy {
  readonly fallback: FallbackConfig;
  readonly retry: RetryConfig;
}

export const DEFAULT_ATTEMPT_POLICY: AttemptPolicy = Object.freeze({
  fallback: Object.freeze({ ...FALLBACK_DEFAULTS }),
  retry: Object.freeze({ ...RETRY_DEFAULTS }),
});

const merged = new WeakMap<FeatureConfig, AttemptPolicy>();

/** A feature's policy (a direct call's: the defaults), merged once per feature and kept. */
export function attemptPolicyOf(
  table: Pick<RoutingTable, "attemptPolicy">,
  feature: FeatureConfig | null,
): AttemptPolicy {
  const defaults = table.attemptPolicy ?? DEFAULT_ATTEMPT_POLICY;
  if (feature === null || (feature.fallback === undefined && feature.retry === undefined)) return defaults;
  let policy = merged.get(feature);
  if (policy === undefined) {
    policy = {
      fallback: { ...defaults.fallback, ...definedFields(feature.fallback) },
      retry: { ...defaults.retry, ...definedFields(feature.retry) },
    };
    merged.set(feature, policy);
  }
  return policy;
}

function definedFields<T extends object>(partial: T | undefined): Partial<T> {
  if (partial === undefined) return {};
  return Object.fromEntries(Object.entries(partial).filter(([, value]) => value !== undefined)) as Partial<T>;
}

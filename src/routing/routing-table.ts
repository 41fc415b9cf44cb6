/**
 * @module routing/routing-table
 * What routing reads: the features and their aliases, the defaults per ingress, the operator's providers
 * and named connections, the adapters; and what one request asks of it.
 */
import type { FallbackConfig, RetryConfig } from "../config/attempt-policy-schema.ts";
import type { Capability, FeatureConfig } from "../config/feature-schema.ts";
import type { Ingress } from "../config/routing-schema.ts";
import type { ProviderId } from "../keys/provider-ids.ts";
import type { Operation, ProviderRegistry } from "../providers/index.ts";
import type { OperatorKeyPool } from "../resilience/operator-key-pool.ts";
import type { Connection } from "./connection.ts";

export interface OperatorProvider {
  /** The configured or default base URL (null: none, e.g. custom). */
  readonly baseUrl: string | null;
  /** The operator's keys for it (one, or a weighted pool); null: none configured. */
  readonly keys: OperatorKeyPool | null;
}

export interface RoutingTable {
  readonly features: Readonly<Record<string, FeatureConfig>>;
  /** Each alias and the feature it names (indexAliases). */
  readonly aliases: ReadonlyMap<string, string>;
  readonly allowDirect: boolean;
  /** The feature serving names that match nothing, per ingress (`routing.defaultFeatures`). */
  readonly defaultFeatures: Readonly<Partial<Record<Ingress, string>>>;
  /** Each provider's own connection (`providers.<id>`), named by its id. */
  readonly providers: ReadonlyMap<ProviderId, OperatorProvider>;
  /** The named connections (`connections.<name>`); none when absent. */
  readonly connections?: ReadonlyMap<string, Connection>;
  readonly registry: ProviderRegistry;
  /** `routing.fallback` and `routing.retry`: what features override; the built-in defaults when absent. */
  readonly attemptPolicy?: { readonly fallback: FallbackConfig; readonly retry: RetryConfig };
}

export interface RouteRequest {
  /** The request's `model` field, untrusted. */
  readonly model: unknown;
  readonly operation: Operation;
  /** Capabilities the request itself uses (streaming, tools, json_schema, vision). */
  readonly needs: readonly Capability[];
  /** Where the request arrived: its default feature serves names that match nothing. */
  readonly ingress?: Ingress;
}

/** Each alias and the feature it names (the configuration has checked they are unique). */
export function indexAliases(features: Readonly<Record<string, FeatureConfig>>): ReadonlyMap<string, string> {
  const aliases = new Map<string, string>();
  for (const [name, feature] of Object.entries(features)) {
    for (const alias of feature.aliases) aliases.set(alias, name);
  }
  return aliases;
}

/**
 * @module routing/connection
 * A named connection as routing reads it (`connections.<name>`): where it lives, the operator's key and
 * headers for it, what it declares, and whose user keys it may carry.
 */

import type { ConnectionKind } from "../config/connection-schema.ts";
import type { Capability } from "../config/feature-schema.ts";
import { isProviderId, type ProviderId } from "../keys/provider-ids.ts";
import type { SecretKey } from "../keys/secret-key.ts";
import type { OperatorKeyPool } from "../resilience/operator-key-pool.ts";

export interface Connection {
  readonly name: string;
  readonly kind: ConnectionKind;
  readonly baseUrl: string | null;
  /** The operator's keys for it (one, or a weighted pool). */
  readonly keys: OperatorKeyPool | null;
  /** Extra headers sent with every call on it (secrets). */
  readonly headers: Readonly<Record<string, SecretKey>>;
  /** What its routes can do unless a route declares its own; null: the kind's default for the model. */
  readonly capabilities: ReadonlySet<Capability> | null;
  readonly responsesApi: boolean;
  readonly apiVersion: string | null;
  readonly deployments: Readonly<Record<string, string>>;
}

/**
 * Whose user keys a connection of this kind may carry: a provider's own kind carries that provider's
 * users' keys; `openai_compatible` and `azure` are operator backends and never carry a user's key.
 */
export function userKeyProviderOf(kind: ConnectionKind): ProviderId | null {
  return isProviderId(kind) ? kind : null;
}

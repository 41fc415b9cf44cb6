/**
 * @module pipeline/pipeline-kit-options
 * What the pipeline kit is built from: the configuration, adapters, upstream client and admission, and the
 * observers of served calls, stream faults and repairs, attempts, breakers and key pools.
 */
import type { GatewayConfig } from "../config/config-schema.ts";
import type { UpstreamClient } from "../egress/index.ts";
import type { AdmissionControl } from "../metering/create-admission-control.ts";
import type { ProviderRegistry } from "../providers/index.ts";
import type { CircuitBreakers, KeyPoolHooks } from "../resilience/index.ts";
import type { AttemptObserver } from "./attempt-routes.ts";
import type { PromptCacheKeySource } from "./bind-prompt-cache-key.ts";
import type { RepairObserver, ServedCallSink } from "./served-call.ts";

export interface PipelineKitOptions {
  readonly config: GatewayConfig;
  readonly registry: ProviderRegistry;
  readonly upstream: UpstreamClient;
  readonly admission: AdmissionControl;
  readonly onServed: ServedCallSink;
  readonly now?: () => number;
  /** A stream's tap or translator threw (the value thrown, whose text may quote a key: log its name only). */
  readonly onStreamFault?: (thrown: unknown) => void;
  /** A pass-through stream from a non-conforming upstream was repaired (docs/api.md). */
  readonly onStreamRepair?: RepairObserver;
  /** Where prompt-cache keys are derived from (the pepper ring); a process-local random secret without. */
  readonly promptCacheKeys?: PromptCacheKeySource;
  /** The circuit breakers the attempt loop consults (resilience/); none (always allowed) by default. */
  readonly breakers?: CircuitBreakers;
  /** The operator key pools' observers (and clock, `now` by default): resilience/create-weighted-key-pool.ts. */
  readonly keyPools?: KeyPoolHooks;
  /** Each upstream attempt's outcome (`byok_upstream_attempts_total`). */
  readonly onAttempt?: AttemptObserver;
}

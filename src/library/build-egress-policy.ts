/**
 * @module library/build-egress-policy
 * The egress policy from the configuration, its refusals counted and logged, a widened policy announced.
 */
import { ConfigError } from "../config/config-error.ts";
import type { GatewayConfig } from "../config/config-schema.ts";
import {
  createEgressPolicy,
  EgressConfigError,
  type EgressPolicy,
  type EgressResolver,
} from "../egress/index.ts";
import type { Logger } from "../telemetry/create-logger.ts";
import type { GatewayMetrics } from "../telemetry/create-metrics.ts";

function egressPolicyOptions(config: GatewayConfig) {
  const { timeouts: _timeouts, ...policyOptions } = config.egress;
  return policyOptions;
}

export function buildEgressPolicy(
  config: GatewayConfig,
  logger: Logger,
  metrics: GatewayMetrics,
  resolver: EgressResolver | undefined,
): EgressPolicy {
  let policy: EgressPolicy;
  try {
    policy = createEgressPolicy({
      ...egressPolicyOptions(config),
      production: config.production,
      ...(resolver ? { resolver } : {}),
      observer: {
        // Details carry a host, rule or address for operators; never a URL, key or upstream body.
        onDenied: (reason, details) => {
          metrics.egressDenied.inc({ reason });
          logger.warn({ egress: { reason, ...details } }, "egress denied");
        },
      },
    });
  } catch (error) {
    if (error instanceof EgressConfigError) {
      throw new ConfigError(error.problems.map((message) => ({ path: "egress", message })));
    }
    throw error;
  }
  const description = policy.describe();
  const widened =
    description.allowHosts.length + description.allowCidrs.length + description.allowHttpHosts.length > 0;
  if (widened || description.warnings.length > 0)
    logger.warn({ egress: description }, "egress policy widened by the operator");
  return policy;
}

/**
 * @module library/create-key-pool-hooks
 * What the composition root gives the operator key pools: a log line per key event (the connection and the
 * key's slot, never the key) and the `byok_operator_keys` gauge over every pool.
 */
import type { KeyPoolHooks } from "../resilience/index.ts";
import type { Logger } from "../telemetry/create-logger.ts";
import type { GatewayMetrics } from "../telemetry/create-metrics.ts";
import { createOperatorKeysGauge } from "../telemetry/create-operator-keys-gauge.ts";

export function createKeyPoolHooks(logger: Logger, metrics: GatewayMetrics): KeyPoolHooks {
  const gauge = createOperatorKeysGauge(metrics.registry);
  return {
    onKeyEvent(reported) {
      // Field by field: nothing but the connection's name, the slot and the numbers reaches the line.
      const keyPool = {
        connection: reported.connection,
        slot: reported.slot,
        event: reported.event,
        restMs: reported.restMs,
      };
      if (reported.event === "refused") {
        logger.error(
          { keyPool },
          "an operator key was refused by its provider (401/403): taken out of its pool",
        );
      } else {
        logger.warn({ keyPool }, "an operator key was rate limited (429): it rests");
      }
    },
    onPoolBuilt(connection, pool) {
      gauge.track(connection, () => pool.counts());
    },
  };
}

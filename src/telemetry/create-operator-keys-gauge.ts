/**
 * @module telemetry/create-operator-keys-gauge
 * `byok_operator_keys{connection,state}`: how many of each operator key pool's keys are available, resting
 * (429) or refused (401/403), read from the pools on each scrape. Counts only, never a key or a slot.
 */
import { Gauge, type Registry } from "prom-client";

export interface OperatorKeyStates {
  readonly available: number;
  readonly resting: number;
  readonly refused: number;
}

export interface OperatorKeysGauge {
  /** Reports `connection`'s pool (its name is operator configuration, a bounded set) through `read`. */
  track(connection: string, read: () => OperatorKeyStates): void;
}

const STATES = ["available", "resting", "refused"] as const;

export function createOperatorKeysGauge(registry: Registry): OperatorKeysGauge {
  const tracked = new Map<string, () => OperatorKeyStates>();
  new Gauge({
    name: "byok_operator_keys",
    help: "Keys of each operator key pool (apiKeys) by state: available, resting after a 429, refused after a 401/403.",
    labelNames: ["connection", "state"] as const,
    registers: [registry],
    collect() {
      for (const [connection, read] of tracked) {
        const states = read();
        for (const state of STATES) this.set({ connection, state }, states[state]);
      }
    },
  });
  return {
    track(connection, read) {
      tracked.set(connection, read);
    },
  };
}

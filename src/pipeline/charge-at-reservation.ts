/**
 * @module pipeline/charge-at-reservation
 * What a call its client cut before its final usage was reported is charged: on the operator's key, the bound admission
 * reserved (so cutting a stream never lowers its own charge); on the user's key, the estimate stands.
 */
import type { Admission } from "../metering/create-admission-control.ts";
import type { TokenUsage } from "../wire/openai/openai-usage.ts";

interface ChargedOutcome {
  readonly usage: TokenUsage | null;
  readonly estimated?: boolean;
}

/** The outcome charged at the reservation (input estimate plus output bound), marked estimated; BYOK unchanged. */
export function chargeAtReservation<T extends ChargedOutcome>(outcome: T, admission: Admission): T {
  const reserved = admission.reservedUsage();
  if (reserved === null) return outcome;
  // What the provider already counted is never lowered (a partial count may exceed an estimate's input).
  const seen = outcome.usage;
  return {
    ...outcome,
    usage: {
      inputTokens: Math.max(reserved.inputTokens, seen?.inputTokens ?? 0),
      outputTokens: Math.max(reserved.outputTokens, seen?.outputTokens ?? 0),
      cachedInputTokens: 0,
    },
    estimated: true,
  };
}

/**
 * @module EgressError: the one error the guarded path throws, with a stable reason code and a fixed
 * safe message; it never carries an upstream body, a resolved address or the upstream error itself.
 */
import { type EgressDenyReason, egressDenyReasons } from "./egress-deny-reasons.ts";

export class EgressError extends Error {
  override readonly name = "EgressError";
  /** The stable snake_case reason code (same value as `reason`, for `err.code` checks). */
  readonly code: EgressDenyReason;
  readonly reason: EgressDenyReason;

  constructor(reason: EgressDenyReason) {
    super(egressDenyReasons[reason]);
    this.code = reason;
    this.reason = reason;
  }
}

export function isEgressError(value: unknown): value is EgressError {
  return value instanceof EgressError;
}

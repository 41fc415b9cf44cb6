/**
 * @module client/settings/describe-verify-result
 * One line for a key check's result: valid with its time, invalid or unknown with the message, or the
 * egress guard's reason when the custom URL was refused.
 */
import type { VerifyResult } from "../gateway-types.ts";
import { formatString, type SettingsStrings } from "./default-strings.ts";

export function describeVerifyResult(strings: SettingsStrings, result: VerifyResult): string {
  const message = result.message ?? strings.noMessage;
  if (result.egressReason) {
    const reason = result.egressReason;
    return formatString(strings.resultRefused, {
      reason,
      explanation: strings.egressReasonNames[reason] ?? reason,
    });
  }
  if (result.status === "valid")
    return formatString(strings.resultValid, { ms: Math.round(result.latencyMs) });
  if (result.status === "invalid") return formatString(strings.resultInvalid, { message });
  return formatString(strings.resultUnknown, { message });
}

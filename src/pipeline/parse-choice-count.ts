/**
 * @module pipeline/parse-choice-count
 * OpenAI chat's `n` (choices generated per request; absent or null means 1): a positive integer, or a 400
 * before admission, since every choice can spend up to `max_tokens` and the reservation multiplies by it.
 */
import { GatewayError } from "../errors/gateway-error.ts";

export function parseChoiceCount(body: Readonly<Record<string, unknown>>): number {
  const value = body.n;
  if (value === undefined || value === null) return 1;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 1) return value;
  throw new GatewayError("invalid_request", {
    message: "`n` must be a positive integer (the number of choices to generate).",
    param: "n",
  });
}

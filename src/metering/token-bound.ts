/**
 * @module metering/token-bound
 * The upper bound an operator-served call reserves on token meters before it runs (input estimate plus
 * output bound), what it holds on each meter, and what must still fit under a limit for it to run.
 */
import type { Meter } from "../store/store-types.ts";

/** A call is admitted while anything is left: it must fit this much under the limit. */
const AT_LIMIT = 1e-6;

/** The bound a call reserves on token meters before it runs. */
export interface TokenBound {
  readonly input: number;
  readonly output: number;
}

/** What the call holds on a meter until it settles: 1 request, its token bound; audio is charged as it goes. */
export function reservedAmount(meter: Meter, bound: TokenBound): number {
  switch (meter) {
    case "requests":
      return 1;
    case "input_tokens":
      return bound.input;
    case "output_tokens":
      return bound.output;
    case "tokens":
      return bound.input + bound.output;
    case "audio_seconds":
      return 0;
  }
}

/**
 * What must still fit under the limit for the call to run: a whole request; the client's own
 * `max_tokens` on output meters (a request asking for more than is left is refused); else anything.
 */
export function requiredFit(meter: Meter, maxOutputTokens: number | null): number {
  if (meter === "requests") return 1;
  if ((meter === "output_tokens" || meter === "tokens") && maxOutputTokens !== null && maxOutputTokens > 0)
    return maxOutputTokens;
  return AT_LIMIT;
}

/**
 * A bound past every finite number (a huge `max_tokens` times `n`) is held as the largest finite one: it
 * is refused by any limit all the same, and the store takes finite numbers only.
 */
export const finite = (value: number): number => (Number.isFinite(value) ? value : Number.MAX_VALUE);

/** What a call reserves on token meters, as reserved before the call. */
export interface TokenBoundRequest {
  readonly maxOutputTokens: number | null;
  readonly choices?: number;
  readonly estimateInputTokens?: () => number;
  readonly generatesOutput?: boolean;
}

/** The bound a call reserves: its input estimate, and its `max_tokens` (or `ceiling`) per choice. */
export function tokenBound(request: TokenBoundRequest, ceiling: number): TokenBound {
  const perChoice = request.maxOutputTokens ?? (request.generatesOutput === true ? ceiling : 0);
  return {
    input: Math.max(0, Math.ceil(request.estimateInputTokens?.() ?? 0)),
    output: perChoice * (request.choices ?? 1),
  };
}

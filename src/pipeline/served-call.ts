/**
 * @module pipeline/served-call
 * What one model call did, reported when it ends: the input metering and metrics account from.
 */
import { isGatewayError } from "../errors/gateway-error.ts";
import type { AdapterId, Operation } from "../providers/index.ts";
import type { Route } from "../routing/index.ts";
import type { TokenUsage } from "../wire/openai/openai-usage.ts";
import type { StreamRepair } from "../wire/stream-repair.ts";

export interface ServedCall {
  readonly userId: string;
  readonly operation: ServedOperation;
  readonly route: Route;
  readonly stream: boolean;
  /** The status the client saw (200 for a stream that later failed). */
  readonly status: number;
  /** `ok`, the error type, or `client_aborted`. */
  readonly outcome: string;
  /** Usage as the provider reported it, or estimated (see `estimated`); null when there is none. */
  readonly usage: TokenUsage | null;
  /** True when the provider reported no usage and the tokens were estimated from the text seen. */
  readonly estimated: boolean;
  /** Audio seconds the provider reported (speech-to-text); null for model calls. */
  readonly audioSeconds: number | null;
  readonly latencyMs: number;
}

/** What was served: chat completions, embeddings, Anthropic messages, OpenAI responses or speech-to-text. */
export type ServedOperation = Operation | "messages" | "responses";

export type ServedCallSink = (call: ServedCall) => void;

/** A pass-through stream was repaired (`byok_stream_repairs_total`): once per stream and kind of repair. */
export type RepairObserver = (provider: AdapterId, repair: StreamRepair) => void;

/** The status and outcome a failed call is reported with (a client's own abort is 499 `client_aborted`). */
export function failureOf(error: unknown): { status: number; outcome: string } {
  return isGatewayError(error)
    ? { status: error.status, outcome: error.type }
    : { status: 499, outcome: "client_aborted" };
}

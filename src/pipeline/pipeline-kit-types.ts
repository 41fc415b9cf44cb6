/**
 * @module pipeline/pipeline-kit-types
 * What the pipeline kit's steps take and report: one upstream request, a finished call's outcome, a relayed stream.
 */
import type { Readable } from "node:stream";
import type { TokenUsage } from "../wire/openai/openai-usage.ts";

/** One upstream request: the path under the route's base URL (query included) and its body. */
export interface UpstreamRequest {
  readonly path: string;
  /** Text, or a stream (an upload relayed as it arrives, never retried). */
  readonly body: string | Readable;
  readonly contentType: string;
  readonly accept: string;
  /** Sent when the client said how large its upload is. */
  readonly contentLength?: number;
  /** The answer is read whole (`readJson`), never relayed as a stream: collected without a body stream. */
  readonly whole?: boolean;
}

export interface CallOutcome {
  readonly stream: boolean;
  readonly status: number;
  readonly outcome: string;
  readonly usage: TokenUsage | null;
  readonly estimated?: boolean;
  /**
   * The client cut the call before its usage was reported: an operator-served call is charged the bound
   * admission reserved (marked estimated), so cutting a stream never lowers its own charge.
   */
  readonly cutByClient?: boolean;
  /** Audio seconds the provider reported (speech-to-text). */
  readonly audioSeconds?: number | null;
}

export interface RelayedStream {
  /** The usage the transform read, when the stream ends. */
  readonly usage: () => TokenUsage | null;
  /**
   * Whether that usage is the provider's final count (Anthropic's `message_start` carries a placeholder
   * until `message_delta`); final when absent.
   */
  readonly usageFinal?: () => boolean;
  /** The upstream request, the basis of an estimate. */
  readonly requestJson: string;
  /** Bytes of generated text seen, the other basis of an estimate. */
  readonly textBytes?: () => number;
  readonly report: (outcome: CallOutcome) => void;
}

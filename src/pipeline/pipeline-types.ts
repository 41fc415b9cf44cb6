/**
 * @module pipeline/pipeline-types
 * What the shells hand the pipeline (a model call) and get back (a response to write as it is).
 */
import type { Readable } from "node:stream";
import type { Principal } from "../auth/principal.ts";
import type { AnswerShare } from "../metering/create-answer-memory.ts";
import type { ByokContext } from "../validation/byok-context.ts";
import type { CutMarks, OpenCall } from "./create-open-calls.ts";

export interface ModelCall {
  readonly userId: string;
  /** The user's plan (admin API or JWT claim), null for the default. */
  readonly plan: string | null;
  /**
   * How the caller signed in (the principal's `via`); absent when the embedding app named the user itself.
   * A recheck after a resync cuts a user with no row in `users` only when they signed in as a stored user.
   */
  readonly via?: Principal["via"];
  readonly byok: ByokContext;
  /** Aborted when the client goes away: the upstream call stops at once. */
  readonly signal: AbortSignal;
  /**
   * The controller of `signal`, when the caller created it for this call alone (the HTTP shell does): the
   * pipeline then aborts it itself when the call is cut, instead of chaining a second controller to it.
   */
  readonly controller?: AbortController;
  /** Set by the pipeline while the call is in flight (create-open-calls.ts); `signal` is then its signal. */
  readonly openCall?: OpenCall;
  /**
   * Where the open-call registry's cuts stood when the caller's credentials and keys were checked (the
   * HTTP shell marks them): a cut of this user since then ends the call before anything is sent.
   */
  readonly marks?: CutMarks;
  /**
   * The call's share of the answer memory (metering/create-answer-memory.ts): what its whole answers hold
   * is counted there until the caller releases it, once the response ended (the HTTP shell does). Absent:
   * not counted.
   */
  readonly answerShare?: AnswerShare;
}

export interface PipelineResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Readable;
}

export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
} as const;

export const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" } as const;

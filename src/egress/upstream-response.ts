/**
 * @module egress/upstream-response
 * What an upstream call answers: its status, headers and body, a stream or, for a whole answer, its collected
 * text (the stream made only if read); and how to drop a body nobody will read.
 */
import { Readable } from "node:stream";
import type { WholeAnswer } from "./collect-whole-answer.ts";

/** A response body as it arrives (undici's), readable as a stream or whole; map its errors with `toUpstreamFailure`. */
export type UpstreamBody = Readable & { text(): Promise<string> };

export interface UpstreamResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body as a stream; for a call that asked for a whole answer, made only when read. */
  readonly body: UpstreamBody;
  /** A call that asked for a whole answer: its text as collected, the way to read it without a stream. */
  readonly whole?: WholeAnswer;
}

/** A whole answer as a response: `whole` to read it; `body`, a stream of the same text, made only if read. */
export class WholeResponse implements UpstreamResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly whole: WholeAnswer;
  #body: UpstreamBody | undefined;

  constructor(answer: WholeAnswer) {
    this.status = answer.statusCode;
    this.headers = answer.headers;
    this.whole = answer;
  }

  get body(): UpstreamBody {
    const answer = this.whole;
    this.#body ??= Object.assign(
      Readable.from(
        (async function* () {
          yield Buffer.from(await answer.text());
        })(),
        { objectMode: false },
      ),
      { text: () => answer.text() },
    );
    return this.#body;
  }
}

/** Drops a response body nobody will read; undici reports the abort as an error, which is expected here. */
export function discard(body: Readable): void {
  body.on("error", () => {});
  body.destroy();
}

/**
 * @module library/create-node-middleware
 * A Connect/Express-style `(request, response, next)` adapter over the shared guard: authenticates,
 * validates, sets X-BYOK-Status and runs the rest of the chain inside the request context.
 */
import { type ClosableResponse, clientGoneSignal, withClientSignal } from "./client-gone-signal.ts";
import type { Byok } from "./create-byok.ts";
import { type ErrorAnswer, type GuardOptions, guardRequest } from "./guard-request.ts";
import { runWithContext } from "./request-context.ts";

/** The parts of Node's IncomingMessage and ServerResponse this adapter uses. */
export interface NodeRequestLike {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}
export interface NodeResponseLike extends ClosableResponse {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
}

/** Writes a status, headers and a JSON body on a Node response. */
export function sendNodeJson(
  response: NodeResponseLike,
  answer: {
    readonly status: number;
    readonly headers: Readonly<Record<string, string>>;
    readonly body: unknown;
  },
): void {
  response.statusCode = answer.status;
  for (const [name, value] of Object.entries(answer.headers)) response.setHeader(name, value);
  response.setHeader("content-type", "application/json; charset=utf-8");
  response.end(JSON.stringify(answer.body));
}

/**
 * Guards every route it is mounted on (`app.use(path, middleware)` guards only that path). A response that
 * closes before it finished (the client left) aborts the request's model calls (`RequestContext.signal`).
 */
export function createNodeMiddleware(byok: Byok, options: GuardOptions = {}) {
  return (request: NodeRequestLike, response: NodeResponseLike, next: (error?: unknown) => void): void => {
    guardRequest(byok, request.headers, options).then(
      (outcome) => {
        if (!outcome.ok) {
          sendNodeJson(response, outcome satisfies ErrorAnswer);
          return;
        }
        for (const [name, value] of Object.entries(outcome.headers)) response.setHeader(name, value);
        // The model calls of this request end when its client leaves before the answer finished.
        runWithContext(withClientSignal(outcome.context, clientGoneSignal(response)), () => next());
      },
      (error: unknown) => next(error),
    );
  };
}

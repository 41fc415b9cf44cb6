/**
 * @module library/create-fetch-handler
 * The fetch-style adapters (`Request → Response`: Next.js route handlers, Bun, Deno, workers): a guard
 * around a handler, and the BYOK endpoints as one handler.
 */
import { GatewayError } from "../errors/gateway-error.ts";
import { toOpenAiErrorBody } from "../wire/openai/openai-error-body.ts";
import { answerByokEndpoint, findByokEndpoint } from "./byok-endpoints.ts";
import { withClientSignal } from "./client-gone-signal.ts";
import type { Byok } from "./create-byok.ts";
import { type ByokEndpointsOptions, parseEndpointsPrefix, pathBelow } from "./create-node-endpoints.ts";
import { type GuardOptions, guardRequest } from "./guard-request.ts";
import { readJsonBody } from "./read-json-body.ts";
import { runWithContext } from "./request-context.ts";

export type FetchHandler<Rest extends unknown[] = []> = (
  request: Request,
  ...rest: Rest
) => Response | Promise<Response>;

const json = (status: number, headers: Readonly<Record<string, string>>, body: unknown) =>
  Response.json(body, { status, headers });

/** `response` with `headers` added; a response whose headers are immutable (from `fetch`) is copied first. */
export function withResponseHeaders(response: Response, headers: Readonly<Record<string, string>>): Response {
  const entries = Object.entries(headers);
  if (entries.length === 0) return response;
  try {
    for (const [name, value] of entries) response.headers.set(name, value);
    return response;
  } catch {
    const copy = new Response(response.body, response);
    for (const [name, value] of entries) copy.headers.set(name, value);
    return copy;
  }
}

/**
 * Wraps `handler` so it runs only for an authenticated request with valid keys, inside its request
 * context, its response carrying X-BYOK-Status; a refusal answers in OpenAI's error envelope.
 */
export function createFetchHandler<Rest extends unknown[] = []>(
  byok: Byok,
  handler: FetchHandler<Rest>,
  options: GuardOptions = {},
): (request: Request, ...rest: Rest) => Promise<Response> {
  return async (request, ...rest) => {
    const outcome = await guardRequest(byok, request.headers, options);
    if (!outcome.ok) return json(outcome.status, outcome.headers, outcome.body);
    // The request's signal (aborted by the runtime when the client leaves) ends the request's model calls.
    const context = withClientSignal(outcome.context, request.signal);
    const response = await runWithContext(context, () => handler(request, ...rest));
    return withResponseHeaders(response, outcome.headers);
  };
}

/** The BYOK endpoints as one fetch handler (a Next.js catch-all route exports it for each method). */
export function createFetchEndpoints(
  byok: Byok,
  options: ByokEndpointsOptions = {},
): (request: Request) => Promise<Response> {
  const prefix = parseEndpointsPrefix(options.prefix);
  const { bodyLimitBytes, maxJsonDepth } = byok.config.server;
  return async (request) => {
    const { pathname } = new URL(request.url);
    const path = pathBelow(prefix, pathname);
    const endpoint = path === null ? undefined : findByokEndpoint(request.method, path);
    if (endpoint === undefined) {
      const error = new GatewayError("not_found", { message: `No route for ${request.method} ${pathname}.` });
      return json(404, {}, toOpenAiErrorBody(error));
    }
    const answer = await answerByokEndpoint(byok, endpoint, request.headers, () =>
      readJsonBody(request.body, {
        contentType: request.headers.get("content-type"),
        contentLength: request.headers.get("content-length"),
        maxBytes: bodyLimitBytes,
        maxDepth: maxJsonDepth,
      }),
    );
    return json(answer.status, answer.headers, answer.body);
  };
}

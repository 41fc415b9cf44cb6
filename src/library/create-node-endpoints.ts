/**
 * @module library/create-node-endpoints
 * The BYOK endpoints as one Connect/Express-style handler for an app's own Node server: answers the
 * table's paths under a prefix and passes every other request on with `next()`.
 */
import { answerByokEndpoint, findByokEndpoint } from "./byok-endpoints.ts";
import type { Byok } from "./create-byok.ts";
import { type NodeRequestLike, type NodeResponseLike, sendNodeJson } from "./create-node-middleware.ts";
import { readJsonBody } from "./read-json-body.ts";

export interface ByokEndpointsOptions {
  /** Where the endpoints are mounted: `""` (default) answers `/v1/byok/enrollment`, `"/api"` `/api/v1/byok/enrollment`. */
  readonly prefix?: string;
}

/** A Node request as the endpoints read it: its body a byte stream, or already parsed (`express.json()`). */
export interface NodeEndpointRequest extends NodeRequestLike, AsyncIterable<Uint8Array | string> {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly body?: unknown;
}

/** The prefix in the canonical form (`""` or `/x`, no trailing slash); a malformed one is refused at once. */
export function parseEndpointsPrefix(prefix: string | undefined): string {
  const value = prefix ?? "";
  const dotSegment = value.split("/").some((segment) => /^\.+$/.test(segment));
  if (value !== "" && (!/^(\/[A-Za-z0-9._~-]+)+$/.test(value) || dotSegment)) {
    throw new TypeError(
      `byok-gateway: the endpoints' prefix must be "" or like "/api" (got ${JSON.stringify(value)})`,
    );
  }
  return value;
}

/** The request's path below `prefix`, or null when it is not under it. */
export function pathBelow(prefix: string, url: string): string | null {
  const path = url.split("?", 1)[0] ?? "";
  if (prefix === "") return path;
  return path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : null;
}

export function createNodeEndpoints(byok: Byok, options: ByokEndpointsOptions = {}) {
  const prefix = parseEndpointsPrefix(options.prefix);
  const { bodyLimitBytes, maxJsonDepth } = byok.config.server;
  return (
    request: NodeEndpointRequest,
    response: NodeResponseLike,
    next: (error?: unknown) => void,
  ): void => {
    const path = pathBelow(prefix, request.url ?? "/");
    const endpoint = path === null ? undefined : findByokEndpoint(request.method ?? "GET", path);
    if (endpoint === undefined) {
      next();
      return;
    }
    const header = (name: string) => {
      const value = request.headers[name];
      return typeof value === "string" ? value : undefined;
    };
    const readBody = () =>
      request.body !== undefined
        ? Promise.resolve(request.body) // an app's body parser ran first
        : readJsonBody(request, {
            contentType: header("content-type"),
            contentLength: header("content-length"),
            maxBytes: bodyLimitBytes,
            maxDepth: maxJsonDepth,
          });
    answerByokEndpoint(byok, endpoint, request.headers, readBody).then(
      (answer) => sendNodeJson(response, answer),
      (error: unknown) => next(error),
    );
  };
}

/**
 * @module Reads the URL and request options out of a fetch call's (input, init), whichever fetch
 * implementation built a Request input; the URL text is then parsed once by parseEgressUrl.
 */

type FetchInput = string | URL | Request;

export function urlOf(input: FetchInput): unknown {
  if (typeof input === "string") return input;
  if (input instanceof URL) return input.href;
  return (input as { url?: unknown } | null)?.url;
}

/** For a Request input, its method, headers, body and signal, overridden by `init`. */
export function requestInitOf(input: FetchInput, init: RequestInit | undefined): RequestInit {
  if (typeof input === "string" || input instanceof URL || typeof input !== "object" || input === null) {
    return { ...init };
  }
  const fromRequest: RequestInit & { duplex?: "half" } = {
    method: input.method,
    headers: input.headers,
    signal: input.signal,
    ...(input.body === null ? {} : { body: input.body, duplex: "half" }),
  };
  return { ...fromRequest, ...init };
}

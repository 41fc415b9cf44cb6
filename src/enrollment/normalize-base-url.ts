/**
 * @module enrollment/normalize-base-url
 * The one stored and compared spelling of a custom base URL: WHATWG-normalized, no trailing slash.
 */

/** `https://Api.Example.com:443/v1/` → `https://api.example.com/v1`; null when it is not a usable base URL. */
export function normalizeBaseUrl(input: string | URL): string | null {
  let url: URL;
  try {
    url = typeof input === "string" ? new URL(input) : input;
  } catch {
    return null;
  }
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") return null;
  const path = url.pathname.replace(/\/+$/, "");
  return `${url.protocol}//${url.host}${path}`;
}

/**
 * @module providers/reveal-connection-headers
 * A connection's extra headers (operator configuration, often tokens) as sent upstream: the one line that reveals them.
 */
import type { SecretKey } from "../keys/secret-key.ts";

/** Writes the revealed headers, names lowercased, into `into` (a new object by default) and returns it. */
export function revealConnectionHeaders(
  headers: Readonly<Record<string, SecretKey>>,
  into: Record<string, string> = {},
): Record<string, string> {
  // for-in over the configuration's plain object: no entries array per request.
  for (const name in headers) into[name.toLowerCase()] = headers[name]!.reveal();
  return into;
}

/**
 * @module providers/reveal-connection-headers
 * A connection's extra headers (operator configuration, often tokens) as sent upstream: the one line that reveals them.
 */
import type { SecretKey } from "../keys/secret-key.ts";

export function revealConnectionHeaders(
  headers: Readonly<Record<string, SecretKey>>,
): Record<string, string> {
  const revealed: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) revealed[name.toLowerCase()] = value.reveal();
  return revealed;
}

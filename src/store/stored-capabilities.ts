/**
 * @module store/stored-capabilities
 * The custom endpoint's declared capabilities as both SQL stores keep them: a JSON array of names, or NULL.
 */
import { CAPABILITIES, type Capability } from "../config/feature-schema.ts";

export function formatStoredCapabilities(
  capabilities: readonly Capability[] | null | undefined,
): string | null {
  return capabilities === null || capabilities === undefined ? null : JSON.stringify(capabilities);
}

/** The stored column back: names this version does not know are left out; anything unreadable is nothing declared. */
export function parseStoredCapabilities(stored: string | null): Capability[] | null {
  if (stored === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(stored);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed)) return null;
  return CAPABILITIES.filter((capability) => parsed.includes(capability));
}

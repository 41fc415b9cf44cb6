/**
 * @module client/user-keys
 * The providers a user can bring keys for and the raw keys an app holds for one user.
 */

export type ProviderId = "openai" | "anthropic" | "gemini" | "openrouter" | "deepgram" | "custom";

export const PROVIDER_IDS: readonly ProviderId[] = [
  "openai",
  "anthropic",
  "gemini",
  "openrouter",
  "deepgram",
  "custom",
];

/** One user's raw keys, and their custom OpenAI-compatible endpoint. Empty values count as absent. */
export interface UserKeys {
  openai?: string;
  anthropic?: string;
  gemini?: string;
  openrouter?: string;
  deepgram?: string;
  custom?: string;
  /** The custom endpoint's base URL (configuration, never a key). */
  customBaseUrl?: string;
  /** The custom endpoint's model (configuration, never a key). */
  customModel?: string;
}

/** The fields of `UserKeys`, keys and settings alike. */
export const USER_KEY_FIELDS: readonly (keyof UserKeys)[] = [
  "openai",
  "anthropic",
  "gemini",
  "openrouter",
  "deepgram",
  "custom",
  "customBaseUrl",
  "customModel",
];

/** The trimmed, non-empty value of one field, or undefined. */
export function presentValue(keys: UserKeys, field: keyof UserKeys): string | undefined {
  const value = keys[field];
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

/** A copy holding only the known fields with a present (trimmed, non-empty) value. */
export function cleanUserKeys(value: unknown): UserKeys {
  const keys: UserKeys = {};
  if (typeof value !== "object" || value === null) return keys;
  for (const field of USER_KEY_FIELDS) {
    const present = presentValue(value as UserKeys, field);
    if (present !== undefined) keys[field] = present;
  }
  return keys;
}

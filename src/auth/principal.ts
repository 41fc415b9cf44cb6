/**
 * @module auth/principal
 * Who is calling, once authenticated: the user id the rest of the gateway keys everything by.
 */

export interface Principal {
  readonly userId: string;
  readonly plan: string | null;
  /** How the caller signed in: a gateway token, a JWT, or a settings token (settings endpoints only). */
  readonly via: "token" | "jwt" | "settings";
}

/** User ids: 1–128 characters of letters, digits and `._:@-` (safe in logs, paths and keys). */
export const USER_ID_PATTERN = /^[A-Za-z0-9._:@-]{1,128}$/;

export function isUserId(value: unknown): value is string {
  return typeof value === "string" && USER_ID_PATTERN.test(value);
}

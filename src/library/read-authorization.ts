/**
 * @module library/read-authorization
 * The `Authorization` header of a request's headers, whatever their shape (a Node header object or a
 * fetch `Headers`).
 */
import type { HeaderBag } from "../keys/parse-byok-headers.ts";

export function readAuthorization(headers: HeaderBag & { authorization?: unknown }): string | undefined {
  if (typeof (headers as { get?: unknown }).get === "function") {
    return (headers as unknown as { get(name: string): string | null }).get("authorization") ?? undefined;
  }
  const value =
    (headers as Record<string, unknown>).authorization ?? (headers as Record<string, unknown>).Authorization;
  return typeof value === "string" ? value : undefined;
}

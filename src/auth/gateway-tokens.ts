/**
 * @module auth/gateway-tokens
 * Gateway-issued bearer tokens: 256 random bits, shown once, stored only as a SHA-256 hash.
 */
import { hash, randomBytes } from "node:crypto";

export const TOKEN_PREFIX = "byok_";
const TOKEN_PATTERN = /^byok_[A-Za-z0-9_-]{43}$/;

export function hashToken(token: string): string {
  // One-shot `hash` (UTF-8 for a string): no Hash object per request, about half the cost.
  return hash("sha256", token, "hex");
}

export function createGatewayToken(): { token: string; hash: string } {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  return { token, hash: hashToken(token) };
}

export function isGatewayTokenShape(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}

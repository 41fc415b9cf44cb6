/**
 * @module validation/byok-context
 * The immutable result of per-request BYOK validation that routing reads, and its X-BYOK-Status spelling.
 */
import type { Capability } from "../config/feature-schema.ts";
import type { ProviderId } from "../keys/provider-ids.ts";
import type { SecretKey } from "../keys/secret-key.ts";

export type DropReason = "not_enrolled" | "inactive" | "mismatch" | "malformed";

export interface ByokContext {
  readonly userId: string;
  /** `none`: no keys presented; `inactive`: no active enrollment, keys dropped; `active`: keys checked. */
  readonly status: "none" | "inactive" | "active";
  readonly inactiveReason: "not_enrolled" | "expired" | null;
  /** Only keys that matched their enrolled fingerprint. */
  readonly keys: Readonly<Partial<Record<ProviderId, SecretKey>>>;
  /** The user's custom endpoint, present only when the custom key was accepted. */
  readonly custom: {
    readonly baseUrl: string;
    readonly model: string | null;
    /** What the user declared their endpoint can do at enrollment; absent or null: nothing declared. */
    readonly capabilities?: readonly Capability[] | null;
  } | null;
  readonly dropped: ReadonlyArray<{ readonly provider: ProviderId; readonly reason: DropReason }>;
  /** The X-BYOK-Status header value. */
  readonly statusHeader: string;
}

export function formatByokStatus(context: Omit<ByokContext, "statusHeader" | "userId">): string {
  let head: string = context.status;
  if (context.inactiveReason) head += `; reason=${context.inactiveReason}`;
  let accepted = "";
  for (const provider in context.keys) accepted += accepted === "" ? provider : `,${provider}`;
  if (accepted !== "") head += `; accepted=${accepted}`;
  if (context.dropped.length === 0) return head; // the usual case: nothing dropped
  const parts: string[] = [head];
  const byReason = (reasons: readonly DropReason[]) =>
    context.dropped.filter((drop) => reasons.includes(drop.reason)).map((drop) => drop.provider);
  const dropped = byReason(["not_enrolled", "inactive"]);
  if (dropped.length > 0) parts.push(`dropped=${dropped.join(",")}`);
  const mismatched = byReason(["mismatch"]);
  if (mismatched.length > 0) parts.push(`mismatched=${mismatched.join(",")}`);
  const malformed = byReason(["malformed"]);
  if (malformed.length > 0) parts.push(`malformed=${malformed.join(",")}`);
  return parts.join("; ");
}

/** The X-BYOK-Status of a rejected request. */
export function formatRejectedStatus(provider: ProviderId, reason: "mismatch" | "malformed"): string {
  return `rejected; ${reason === "mismatch" ? "mismatched" : "malformed"}=${provider}`;
}

export function noByokContext(userId: string): ByokContext {
  return Object.freeze({
    userId,
    status: "none",
    inactiveReason: null,
    keys: Object.freeze({}),
    custom: null,
    dropped: Object.freeze([]),
    statusHeader: "none",
  });
}

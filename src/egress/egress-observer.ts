/**
 * @module The injected observer: where the logger and the per-reason counter hang. Details may hold a
 * resolved address (for the log only); they never hold URLs, headers, keys or upstream bodies.
 */
import type { EgressDenyReason } from "./egress-deny-reasons.ts";

export interface EgressEventDetails {
  /** Where the decision was taken. */
  readonly stage: "validate" | "connect" | "fetch";
  /** The URL's host name or literal (never the full URL: queries may carry keys). */
  readonly host?: string;
  /** The address refused or that failed; for the log, never for a client. */
  readonly address?: string;
  /** The denied range or name rule (`loopback`, `denied_suffix`, ...). */
  readonly rule?: string;
  /** An upstream error code such as `ECONNREFUSED`; never an upstream message. */
  readonly cause?: string;
  /** The upstream status, for `redirect_refused` and a head no Response can carry (`request_failed`). */
  readonly status?: number;
  /** True when the decision came from the bounded rejection cache. */
  readonly cached?: boolean;
}

export interface EgressObserver {
  /** Once per refused validation or failed guarded request: hang the per-reason counter here. */
  onDenied?(reason: EgressDenyReason, details: EgressEventDetails): void;
  /** Each socket the pinned connector refuses (its guarded fetch then also reports `onDenied`). */
  onBlockedConnection?(reason: EgressDenyReason, details: EgressEventDetails): void;
}

/** Calls an observer hook; an observer that throws never changes an egress decision. */
export function notifyObserver(
  observer: EgressObserver,
  hook: "onDenied" | "onBlockedConnection",
  reason: EgressDenyReason,
  details: EgressEventDetails,
): void {
  try {
    observer[hook]?.(reason, details);
  } catch {
    // Observers are telemetry; their failures are deliberately ignored.
  }
}

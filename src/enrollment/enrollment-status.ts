/**
 * @module enrollment/enrollment-status
 * What GET /v1/byok/enrollment answers: activity, providers and custom settings, never fingerprints.
 */
import type { Capability } from "../config/feature-schema.ts";
import type { ProviderId } from "../keys/provider-ids.ts";
import type { EnrollmentRecord } from "../store/store-types.ts";

export interface EnrollmentStatus {
  readonly active: boolean;
  readonly providers: readonly ProviderId[];
  readonly custom: {
    readonly baseUrl: string;
    readonly model: string | null;
    /** Present only when the user declared what the endpoint can do. */
    readonly capabilities?: readonly Capability[];
  } | null;
  readonly enrolledAt: string | null;
  readonly lastSeenAt: string | null;
  readonly expiresAt: string | null;
}

export function isEnrollmentActive(record: EnrollmentRecord, now: number, ttlMs: number): boolean {
  return now - record.lastSeenAt <= ttlMs;
}

export function toEnrollmentStatus(
  record: EnrollmentRecord | null,
  now: number,
  ttlMs: number,
): EnrollmentStatus {
  if (record === null) {
    return {
      active: false,
      providers: [],
      custom: null,
      enrolledAt: null,
      lastSeenAt: null,
      expiresAt: null,
    };
  }
  return {
    active: isEnrollmentActive(record, now, ttlMs),
    providers: Object.keys(record.fingerprints) as ProviderId[],
    custom:
      record.customBaseUrl === null
        ? null
        : {
            baseUrl: record.customBaseUrl,
            model: record.customModel,
            ...(record.customCapabilities ? { capabilities: record.customCapabilities } : {}),
          },
    enrolledAt: new Date(record.enrolledAt).toISOString(),
    lastSeenAt: new Date(record.lastSeenAt).toISOString(),
    expiresAt: new Date(record.lastSeenAt + ttlMs).toISOString(),
  };
}

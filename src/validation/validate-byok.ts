/**
 * @module validation/validate-byok
 * Per-request validation (docs/api.md, X-BYOK-Status) as a pure function of (user, presented keys, enrollment, peppers, clock) → a frozen context or a rejection.
 */

import { isEnrollmentActive } from "../enrollment/enrollment-status.ts";
import { normalizeBaseUrl } from "../enrollment/normalize-base-url.ts";
import type { CustomSettingHeader, PresentedByok } from "../keys/parse-byok-headers.ts";
import type { PepperRing, StoredFingerprint } from "../keys/pepper-ring.ts";
import { PROVIDER_IDS, type ProviderId } from "../keys/provider-ids.ts";
import type { SecretKey } from "../keys/secret-key.ts";
import type { EnrollmentRecord } from "../store/store-types.ts";
import { type ByokContext, type DropReason, formatByokStatus, noByokContext } from "./byok-context.ts";

export interface ValidateByokInput {
  readonly userId: string;
  readonly presented: PresentedByok;
  readonly enrollment: EnrollmentRecord | null;
  readonly pepperRing: PepperRing;
  readonly now: number;
  readonly heartbeatTtlMs: number;
  /** Recovery paths (enrollment, usage, verify) strip bad keys instead of rejecting. */
  readonly recovery: boolean;
}

/** A fingerprint that matched under an older pepper and should be re-stored under the newest. */
export interface PepperUpgrade {
  readonly provider: ProviderId;
  readonly previous: StoredFingerprint;
  readonly next: StoredFingerprint;
}

export type ByokRejection =
  | { readonly type: "byok_key_mismatch"; readonly provider: ProviderId; readonly reason: "mismatch" }
  | {
      readonly type: "invalid_byok_header";
      readonly provider: ProviderId;
      readonly reason: "malformed";
      /** Set when the malformed header is a custom-endpoint setting rather than the key itself. */
      readonly setting?: CustomSettingHeader;
    }
  | {
      readonly type: "byok_custom_base_url_mismatch";
      readonly provider: "custom";
      readonly reason: "mismatch";
    };

export type ByokDecision =
  | { readonly ok: true; readonly context: ByokContext; readonly upgrades: readonly PepperUpgrade[] }
  | { readonly ok: false; readonly rejection: ByokRejection };

function finish(
  userId: string,
  fields: Omit<ByokContext, "statusHeader" | "userId">,
  upgrades: readonly PepperUpgrade[],
): ByokDecision {
  const context: ByokContext = Object.freeze({
    userId,
    ...fields,
    keys: Object.freeze(fields.keys),
    dropped: Object.freeze(fields.dropped),
    statusHeader: formatByokStatus(fields),
  });
  return { ok: true, context, upgrades };
}

export function validateByok(input: ValidateByokInput): ByokDecision {
  const { presented, enrollment, userId } = input;
  if (!presented.any) return { ok: true, context: noByokContext(userId), upgrades: [] };

  const presentedProviders = PROVIDER_IDS.filter(
    (provider) => presented.keys[provider] !== undefined || presented.malformed.includes(provider),
  );

  const inactiveReason =
    enrollment === null
      ? "not_enrolled"
      : isEnrollmentActive(enrollment, input.now, input.heartbeatTtlMs)
        ? null
        : "expired";
  if (enrollment === null || inactiveReason !== null) {
    const reason: DropReason = inactiveReason === "expired" ? "inactive" : "not_enrolled";
    return finish(
      userId,
      {
        status: "inactive",
        inactiveReason,
        keys: {},
        custom: null,
        dropped: presentedProviders.map((provider) => ({ provider, reason })),
      },
      [],
    );
  }

  const keys: Partial<Record<ProviderId, SecretKey>> = {};
  const dropped: Array<{ provider: ProviderId; reason: DropReason }> = [];
  const upgrades: PepperUpgrade[] = [];
  for (const provider of presentedProviders) {
    const stored = enrollment.fingerprints[provider];
    if (stored === undefined) {
      dropped.push({ provider, reason: "not_enrolled" });
      continue;
    }
    const key = presented.keys[provider];
    if (key === undefined) {
      if (!input.recovery)
        return { ok: false, rejection: { type: "invalid_byok_header", provider, reason: "malformed" } };
      dropped.push({ provider, reason: "malformed" });
      continue;
    }
    const match = input.pepperRing.match(key.fingerprint(), stored);
    if (match === "mismatch" || match === "unknown_pepper") {
      if (!input.recovery)
        return { ok: false, rejection: { type: "byok_key_mismatch", provider, reason: "mismatch" } };
      dropped.push({ provider, reason: "mismatch" });
      continue;
    }
    if (match === "match_older_pepper") {
      upgrades.push({ provider, previous: stored, next: input.pepperRing.seal(key.fingerprint()) });
    }
    keys[provider] = key;
  }

  let custom: ByokContext["custom"] = null;
  if (keys.custom !== undefined && enrollment.customBaseUrl !== null) {
    const headerUrl = presented.customBaseUrl;
    const [setting] = presented.malformedSettings;
    if (setting !== undefined) {
      // An unusable setting is never read as absent: that would put the enrolled value in its place.
      if (!input.recovery) {
        return {
          ok: false,
          rejection: { type: "invalid_byok_header", provider: "custom", reason: "malformed", setting },
        };
      }
      delete keys.custom;
      dropped.push({ provider: "custom", reason: "malformed" });
    } else if (headerUrl !== null && normalizeBaseUrl(headerUrl) !== enrollment.customBaseUrl) {
      if (!input.recovery) {
        return {
          ok: false,
          rejection: { type: "byok_custom_base_url_mismatch", provider: "custom", reason: "mismatch" },
        };
      }
      delete keys.custom;
      dropped.push({ provider: "custom", reason: "mismatch" });
    } else {
      custom = Object.freeze({
        baseUrl: enrollment.customBaseUrl,
        model: presented.customModel ?? enrollment.customModel,
        // What the user declared at enrollment; routing narrows the feature's customCapabilities to it.
        ...(enrollment.customCapabilities ? { capabilities: enrollment.customCapabilities } : {}),
      });
    }
  }

  return finish(userId, { status: "active", inactiveReason: null, keys, custom, dropped }, upgrades);
}

/**
 * @module enrollment/create-enrollment-service
 * Enroll, status, heartbeat and delete (docs/api.md); every change is published so caches drop it at once.
 */
import { GatewayError } from "../errors/gateway-error.ts";
import type { PepperRing, StoredFingerprint } from "../keys/pepper-ring.ts";
import type { ProviderId } from "../keys/provider-ids.ts";
import type { InvalidationBus } from "../store/invalidation-bus.ts";
import type { EnrollmentRecord, Store } from "../store/store-types.ts";
import type { CheckCustomBaseUrl } from "./check-custom-base-url.ts";
import { checkEnrollmentPolicy, type EnrollmentPolicy } from "./check-enrollment-policy.ts";
import { type EnrollmentStatus, toEnrollmentStatus } from "./enrollment-status.ts";
import { parseEnrollmentBody } from "./parse-enrollment-body.ts";

export interface EnrollmentService {
  /** Replaces the user's enrollment with the body's (PUT). */
  enroll(userId: string, body: unknown): Promise<EnrollmentStatus>;
  status(userId: string): Promise<EnrollmentStatus>;
  /** Renews an existing enrollment (an expired one too); 404 when there is none. */
  heartbeat(userId: string): Promise<EnrollmentStatus>;
  /** Deactivates and deletes the fingerprints. */
  remove(userId: string): Promise<EnrollmentStatus>;
}

export interface EnrollmentServiceOptions {
  readonly store: Store;
  readonly bus: InvalidationBus;
  readonly pepperRing: PepperRing;
  readonly policy: EnrollmentPolicy;
  readonly heartbeatTtlMs: number;
  readonly checkCustomBaseUrl: CheckCustomBaseUrl;
  readonly now: () => number;
}

/**
 * True when a new enrollment drops or replaces a key of the previous one (or moves its custom endpoint):
 * calls in flight on the previous keys are then cut. Adding a provider changes nothing that is open.
 */
function replacesKeys(
  previous: EnrollmentRecord | null,
  next: Readonly<Partial<Record<ProviderId, string>>>,
  nextCustomBaseUrl: string | null,
  pepperRing: PepperRing,
): boolean {
  if (previous === null) return false;
  if (previous.customBaseUrl !== null && previous.customBaseUrl !== nextCustomBaseUrl) return true;
  for (const [provider, stored] of Object.entries(previous.fingerprints) as [
    ProviderId,
    StoredFingerprint,
  ][]) {
    const hex = next[provider];
    if (hex === undefined) return true;
    const match = pepperRing.match(hex, stored);
    if (match !== "match" && match !== "match_older_pepper") return true;
  }
  return false;
}

export function createEnrollmentService(options: EnrollmentServiceOptions): EnrollmentService {
  const { store, bus, pepperRing, heartbeatTtlMs: ttl, now } = options;
  const changed = (userId: string, cut?: "enrollment_changed") =>
    bus.publish(cut === undefined ? { topic: "enrollment", userId } : { topic: "enrollment", userId, cut });

  return {
    async enroll(userId, body) {
      const request = parseEnrollmentBody(body);
      const providers = Object.keys(request.fingerprints) as ProviderId[];
      const decision = checkEnrollmentPolicy(providers, options.policy);
      if (!decision.ok) {
        throw new GatewayError("enrollment_policy_violation", {
          param: decision.param,
          message: decision.message,
        });
      }
      let customBaseUrl: string | null = null;
      if (request.custom !== null) {
        const verdict = await options.checkCustomBaseUrl(request.custom.baseUrl);
        if (!verdict.ok) {
          throw new GatewayError("invalid_custom_base_url", {
            param: "custom.baseUrl",
            code: verdict.reason,
            message: `The custom base URL is not allowed (${verdict.reason}): ${verdict.message}`,
          });
        }
        customBaseUrl = verdict.normalized;
      }
      const fingerprints: Partial<Record<ProviderId, StoredFingerprint>> = {};
      for (const provider of providers)
        fingerprints[provider] = pepperRing.seal(request.fingerprints[provider]!);
      const at = now();
      const record: EnrollmentRecord = {
        userId,
        fingerprints,
        customBaseUrl,
        customModel: request.custom?.model ?? null,
        customCapabilities: request.custom?.capabilities ?? null,
        enrolledAt: at,
        lastSeenAt: at,
      };
      // What this write overwrote, read in its own transaction: a previous read outside it could miss an
      // enrollment written meanwhile (another request, another replica), and with it the cut of its keys.
      const previous = await store.enrollments.put(record);
      const keysReplaced = replacesKeys(previous, request.fingerprints, customBaseUrl, pepperRing);
      await changed(userId, keysReplaced ? "enrollment_changed" : undefined);
      return toEnrollmentStatus(record, at, ttl);
    },

    async status(userId) {
      return toEnrollmentStatus(await store.enrollments.get(userId), now(), ttl);
    },

    async heartbeat(userId) {
      const at = now();
      if (!(await store.enrollments.touch(userId, at))) throw new GatewayError("enrollment_not_found");
      await changed(userId);
      return toEnrollmentStatus(await store.enrollments.get(userId), at, ttl);
    },

    async remove(userId) {
      await store.enrollments.delete(userId);
      await changed(userId, "enrollment_changed");
      return toEnrollmentStatus(null, now(), ttl);
    },
  };
}

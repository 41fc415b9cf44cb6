/**
 * @module validation/create-byok-validator
 * Runs validateByok for a request: reads the enrollment (cached) only when keys were presented, re-stores
 * fingerprints matched under an older pepper, and turns rejections into gateway errors.
 */
import type { EnrollmentCache } from "../enrollment/create-enrollment-cache.ts";
import { GatewayError } from "../errors/gateway-error.ts";
import type { PresentedByok } from "../keys/parse-byok-headers.ts";
import type { PepperRing } from "../keys/pepper-ring.ts";
import { KEY_HEADER_BY_PROVIDER } from "../keys/provider-ids.ts";
import type { InvalidationBus } from "../store/invalidation-bus.ts";
import type { Store } from "../store/store-types.ts";
import { type ByokContext, formatRejectedStatus, noByokContext } from "./byok-context.ts";
import { type ByokRejection, validateByok } from "./validate-byok.ts";

export interface ByokValidator {
  /** The request's BYOK context; throws a GatewayError (403/400) when a key is rejected. */
  validate(userId: string, presented: PresentedByok, options?: { recovery?: boolean }): Promise<ByokContext>;
}

export interface ByokValidatorOptions {
  readonly cache: EnrollmentCache;
  readonly store: Store;
  readonly bus: InvalidationBus;
  readonly pepperRing: PepperRing;
  readonly heartbeatTtlMs: number;
  readonly now: () => number;
}

/** The rejected request's X-BYOK-Status rides on the error so every response carries one. */
export class ByokRejectedError extends GatewayError {
  readonly statusHeader: string;
  constructor(rejection: ByokRejection) {
    const setting = rejection.type === "invalid_byok_header" ? rejection.setting : undefined;
    const header = setting ?? KEY_HEADER_BY_PROVIDER[rejection.provider];
    const message =
      rejection.type === "byok_key_mismatch"
        ? `The ${rejection.provider} key does not match the fingerprint enrolled for it; re-enroll the key or send the enrolled one.`
        : setting !== undefined
          ? `The ${setting} header is unusable (sent more than once, longer than 2048 characters, or holding one of the keys sent); send it once, as a URL or model name, or leave it out.`
          : rejection.type === "invalid_byok_header"
            ? `The ${header} header value is malformed (keys are 1-4096 printable ASCII characters without spaces).`
            : "X-BYOK-Custom-Base-Url differs from the custom base URL enrolled for this user.";
    super(rejection.type, { message, provider: rejection.provider, param: header });
    this.statusHeader = formatRejectedStatus(rejection.provider, rejection.reason);
  }
}

export function createByokValidator(options: ByokValidatorOptions): ByokValidator {
  const { cache, store, bus, pepperRing } = options;

  return {
    async validate(userId, presented, validateOptions = {}) {
      if (!presented.any) return noByokContext(userId);
      const decision = validateByok({
        userId,
        presented,
        enrollment: await cache.get(userId),
        pepperRing,
        now: options.now(),
        heartbeatTtlMs: options.heartbeatTtlMs,
        recovery: validateOptions.recovery ?? false,
      });
      if (!decision.ok) throw new ByokRejectedError(decision.rejection);
      if (decision.upgrades.length > 0) {
        for (const upgrade of decision.upgrades) {
          await store.enrollments.replaceFingerprint(
            userId,
            upgrade.provider,
            upgrade.previous,
            upgrade.next,
          );
        }
        await bus.publish({ topic: "enrollment", userId });
      }
      return decision.context;
    },
  };
}

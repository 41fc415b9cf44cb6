/**
 * @module validation/check-still-enrolled
 * A BYOK context validated earlier (a listen ticket's, sealed when it was issued) checked again against the
 * enrollment as it is now: every key it holds must still match, and its custom endpoint still be enrolled.
 */
import { isGatewayError } from "../errors/gateway-error.ts";
import type { PresentedByok } from "../keys/parse-byok-headers.ts";
import type { ProviderId } from "../keys/provider-ids.ts";
import type { ByokContext } from "./byok-context.ts";
import type { ByokValidator } from "./create-byok-validator.ts";

/** The keys (and custom endpoint) a context accepted, presented again as a request would present them. */
function presentedOf(context: ByokContext): PresentedByok {
  return {
    keys: context.keys,
    malformed: [],
    customBaseUrl: context.custom?.baseUrl ?? null,
    customModel: null,
    malformedSettings: [],
    any: Object.keys(context.keys).length > 0,
  };
}

/**
 * True while every key of `context` is still enrolled as it was; false once one was replaced or removed,
 * the enrollment deleted or expired, or the custom endpoint moved. A store failure rejects (never a "no").
 */
export async function checkStillEnrolled(validator: ByokValidator, context: ByokContext): Promise<boolean> {
  const held = Object.keys(context.keys) as ProviderId[];
  if (held.length === 0 && context.custom === null) return true;
  let now: ByokContext;
  try {
    now = await validator.validate(context.userId, presentedOf(context));
  } catch (error) {
    if (isGatewayError(error) && error.status < 500) return false; // a key that matches no more
    throw error;
  }
  if (!held.every((provider) => now.keys[provider] !== undefined)) return false;
  return context.custom === null || now.custom?.baseUrl === context.custom.baseUrl;
}

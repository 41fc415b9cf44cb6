/**
 * @module pipeline/refuse-key-as-model
 * A model name that holds one of the keys the request carries (pasted into the model field, or sent as the
 * custom model): refused before it is routed, echoed, recorded or sent anywhere.
 */
import { GatewayError } from "../errors/gateway-error.ts";
import { keysToFindInNames, quotesKeyIn } from "../keys/create-key-quote-check.ts";
import type { SecretKey } from "../keys/secret-key.ts";
import type { ByokContext } from "../validation/byok-context.ts";

/** Throws `invalid_request` (param `model`) when `name` quotes one of `byok`'s keys, whole or masked. */
export function refuseKeyAsModel(name: unknown, byok: ByokContext): void {
  if (typeof name !== "string" || name === "") return;
  const keys = keysToFindInNames(Object.values(byok.keys) as SecretKey[]);
  if (keys.length === 0 || !quotesKeyIn(name, keys)) return;
  throw new GatewayError("invalid_request", {
    message:
      "The model name holds one of the keys sent with this request: name a feature or a model, never a key.",
    param: "model",
  });
}

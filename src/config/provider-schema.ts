/**
 * @module config/provider-schema
 * The shape of `providers.<id>`: each provider's own backend (base URL, live URL for Deepgram, time limits)
 * and the operator's key or weighted key pool for it.
 */
import { z } from "zod";
import { timeoutsSchema } from "./feature-schema.ts";
import { checkOperatorKeys, operatorKeyFields } from "./operator-keys-schema.ts";
import { connectionPoolSettings } from "./upstream-schema.ts";

export const providerSettings = z
  .strictObject({
    /** Where this provider's API lives (tests and proxies point it elsewhere). */
    baseUrl: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
    /**
     * Deepgram's live (WebSocket) API, when it is not the REST base URL with a ws(s) scheme (self-hosted
     * deployments, tests). Only the deepgram provider has one.
     */
    liveBaseUrl: z.url({ protocol: /^wss?$/, error: "must be a ws(s) URL" }).optional(),
    /**
     * The operator's own key for this provider (prefer BYOK_<PROVIDER>_API_KEY), or several with weights
     * (`apiKeys`, BYOK_<PROVIDER>_API_KEYS) and their `keyPool` timing.
     */
    ...operatorKeyFields,
    /** Time limits for this provider's calls; `upstream.timeouts` fills what is unset. */
    timeouts: timeoutsSchema.optional(),
    ...connectionPoolSettings,
  })
  .superRefine(checkOperatorKeys);

export type ProviderSettings = z.output<typeof providerSettings>;

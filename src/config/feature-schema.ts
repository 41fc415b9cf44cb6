/**
 * @module config/feature-schema
 * The shape of `features` (docs/features-and-routing.md) and of the upstream time limits.
 */
import { z } from "zod";
import { PROVIDER_IDS } from "../keys/provider-ids.ts";
import { featureFallbackSchema, featureRetrySchema } from "./attempt-policy-schema.ts";

export const CAPABILITIES = [
  "chat",
  "streaming",
  "tools",
  "json_schema",
  "vision",
  "embeddings",
  "stt",
] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** Everything a chat or embeddings model may do: what a custom endpoint or an unknown direct model is assumed to. */
export const MODEL_CAPABILITIES: readonly Capability[] = CAPABILITIES.filter(
  (capability) => capability !== "stt",
);

/** Feature names are what apps send in `model`; a `/` is reserved for `provider/model`. */
export const FEATURE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/**
 * Aliases are the model names clients already send (`gpt-4o-mini`, `nova-3`, `meta-llama/Llama-3.1-8B`):
 * the feature-name characters plus `/`, never `<provider id>/…` (that is direct naming).
 */
export const ALIAS_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$/;

const capabilityList = z.array(z.enum(CAPABILITIES));

const routeSchema = z
  .strictObject({
    /** Any provider but `custom` (the user's own endpoint is switched on with `allowCustom`). */
    provider: z.enum(PROVIDER_IDS).exclude(["custom"]).optional(),
    /** A named connection (`connections.<name>`) instead of a provider: exactly one of the two. */
    connection: z.string().min(1).max(64).optional(),
    model: z.string().min(1).max(256),
    /** Request defaults: applied when the client did not set the field itself. */
    params: z.record(z.string(), z.unknown()).default({}),
    /** What this route can do; the connection's, else the built-in capability table's, when omitted. */
    capabilities: capabilityList.optional(),
  })
  .refine((route) => (route.provider === undefined) !== (route.connection === undefined), {
    message: "a route names exactly one of provider or connection",
  });

export const featureSchema = z.strictObject({
  description: z.string().max(500).optional(),
  /** Other names a request may use for this feature; served exactly as the feature. */
  aliases: z
    .array(z.string().regex(ALIAS_NAME, "aliases are letters, digits and _.:/- (at most 64)"))
    .max(100)
    .default([]),
  /** Capabilities every route serving this feature must have (requests add what they use). */
  needs: capabilityList.default([]),
  /** Ordered routes: served on the user's key when they hold one, else on the operator's (if allowed). */
  routes: z.array(routeSchema).default([]),
  /** Richer routes tried first, only ever on the user's own key (the BYOK upgrade). */
  byokRoutes: z.array(routeSchema).default([]),
  /** Whether the user's enrolled custom endpoint may serve this feature (it is then tried first). */
  allowCustom: z.boolean().default(false),
  /** What the operator assumes a user's custom endpoint can do. */
  customCapabilities: capabilityList.default([...MODEL_CAPABILITIES]),
  /** Whether the operator's keys may serve users who hold no key for any route. */
  operatorFallback: z.boolean().default(true),
  /**
   * OpenAI prompt caching: `forward` the client's `prompt_cache_key`, `derive` one per user and
   * feature when the client sent none, or `off` (always stripped). Only models that support it see it.
   */
  promptCacheKey: z.enum(["forward", "derive", "off"]).default("forward"),
  /** Overrides of `routing.fallback` for this feature (docs/features-and-routing.md, "When an upstream fails"). */
  fallback: featureFallbackSchema,
  /** Overrides of `routing.retry` for this feature. */
  retry: featureRetrySchema,
});

export const featuresSchema = z
  .record(z.string().regex(FEATURE_NAME, "feature names are letters, digits and _.:- (no /)"), featureSchema)
  .default({})
  .superRefine((features, context) => {
    checkAliases(features, context);
    for (const [name, feature] of Object.entries(features)) {
      if (feature.routes.length + feature.byokRoutes.length === 0 && !feature.allowCustom) {
        context.addIssue({
          code: "custom",
          path: [name],
          message: "a feature needs at least one route, a byokRoute or allowCustom",
        });
      }
    }
  });

/** Every alias names one feature: unique, never a feature's name, never direct `provider/model` naming. */
function checkAliases(
  features: Readonly<Record<string, { readonly aliases: readonly string[] }>>,
  context: z.RefinementCtx,
): void {
  const owners = new Map<string, string>();
  for (const [name, feature] of Object.entries(features)) {
    feature.aliases.forEach((alias, index) => {
      const path = [name, "aliases", index];
      const slash = alias.indexOf("/");
      const owner = owners.get(alias);
      if (Object.hasOwn(features, alias)) {
        context.addIssue({ code: "custom", path, message: `"${alias}" is already a feature name` });
      } else if (owner !== undefined) {
        context.addIssue({ code: "custom", path, message: `"${alias}" is already an alias of ${owner}` });
      } else if (slash !== -1 && (PROVIDER_IDS as readonly string[]).includes(alias.slice(0, slash))) {
        context.addIssue({
          code: "custom",
          path,
          message: `"${alias}" starts with a provider id: that is direct provider/model naming`,
        });
      }
      if (owner === undefined) owners.set(alias, name);
    });
  }
}

const positiveMs = z.number().int().min(1).max(3_600_000);

/** Time limits for calls to a configured provider (the custom endpoint's are in `egress`, docs/egress.md). */
export const timeoutsSchema = z.strictObject({
  connectMs: positiveMs.optional(),
  headersMs: positiveMs.optional(),
  bodyIdleMs: positiveMs.optional(),
  totalMs: positiveMs.optional(),
});

export type FeatureConfig = z.output<typeof featureSchema>;
export type FeatureRouteConfig = z.output<typeof routeSchema>;
export type TimeoutsConfig = z.output<typeof timeoutsSchema>;

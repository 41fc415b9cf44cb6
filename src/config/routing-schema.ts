/**
 * @module config/routing-schema
 * The `routing` settings: direct `provider/model` naming, each ingress's default feature, and the
 * fallback and retry defaults of every feature (config/attempt-policy-schema.ts).
 */
import { z } from "zod";
import { fallbackSchema, retrySchema } from "./attempt-policy-schema.ts";
import { FEATURE_NAME } from "./feature-schema.ts";

/** The API surfaces a model name arrives on; each may name a default feature. */
export const INGRESSES = ["chat", "responses", "messages", "embeddings", "listen"] as const;
export type Ingress = (typeof INGRESSES)[number];

const featureName = z.string().regex(FEATURE_NAME, "must be a feature name");

export const routingSchema = z
  .strictObject({
    /** Whether `provider/model` may be asked for directly (always on the user's own key). */
    allowDirect: z.boolean().default(true),
    /** The feature that serves a name matching no feature, alias or direct `provider/model`, per ingress. */
    defaultFeatures: z
      .strictObject({
        chat: featureName.optional(),
        responses: featureName.optional(),
        messages: featureName.optional(),
        embeddings: featureName.optional(),
        listen: featureName.optional(),
      })
      .prefault({}),
    /** What a failed attempt moves on to (features may override any field). */
    fallback: fallbackSchema,
    /** Retries of the same route (features may override any field). */
    retry: retrySchema,
  })
  .prefault({});

export type RoutingConfig = z.output<typeof routingSchema>;

/**
 * @module config/operator-keys-schema
 * The operator's keys of one connection or provider: one `apiKey`, or a weighted pool `apiKeys` with its
 * `keyPool` timing (docs/configuration.md, "Operator key pools"); errors name paths, never keys.
 */
import { z } from "zod";
import { SecretKey } from "../keys/secret-key.ts";

/** The most keys one pool may hold. */
export const MAX_OPERATOR_KEYS = 64;

const DAY_MS = 86_400_000;

export const operatorKeySchema = z
  .string()
  .min(1, "apiKey must be at least 1 characters")
  .transform((value) => new SecretKey(value));

const weightedKeySchema = z.strictObject({
  apiKey: operatorKeySchema,
  /** The key's share of the picks, relative to the others' (default 1). */
  weight: z
    .number()
    .positive("a weight is a positive number")
    .max(1_000_000, "a weight is at most 1000000")
    .default(1),
});

export const apiKeysSchema = z
  .array(weightedKeySchema)
  .min(1, "apiKeys lists at least one key")
  .max(MAX_OPERATOR_KEYS, `apiKeys lists at most ${MAX_OPERATOR_KEYS} keys`)
  .superRefine((keys, context) => {
    const seen = new Map<string, number>();
    keys.forEach(({ apiKey }, index) => {
      const first = seen.get(apiKey.reveal());
      if (first === undefined) seen.set(apiKey.reveal(), index);
      else
        context.addIssue({
          code: "custom",
          path: [index, "apiKey"],
          message: `the same key as apiKeys.${first}`,
        });
    });
  });

const duration = (fallback: number) => z.number().int().min(0).max(DAY_MS).default(fallback);

/** How long a pooled key sits out after a 429 or a 401/403 (resilience/create-weighted-key-pool.ts). */
export const keyPoolSchema = z
  .strictObject({
    /** A 429 without `Retry-After` rests the key this long. */
    coolDownMs: duration(60_000),
    /** No 429 rests a key longer, whatever its `Retry-After`. */
    maxCoolDownMs: duration(600_000),
    /** A 401/403 takes the key out this long; then it is tried again. */
    refusedMs: duration(900_000),
  })
  .refine((pool) => pool.coolDownMs <= pool.maxCoolDownMs, {
    message: "coolDownMs must not exceed maxCoolDownMs",
    path: ["coolDownMs"],
  });

export type ApiKeysConfig = z.output<typeof apiKeysSchema>;
export type KeyPoolConfig = z.output<typeof keyPoolSchema>;

/** The fields a connection or provider adds for its operator keys. */
export const operatorKeyFields = {
  /** The operator's one key (prefer the environment). */
  apiKey: operatorKeySchema.optional(),
  /** Several keys with weights, drawn per attempt (exactly one of apiKey and apiKeys). */
  apiKeys: apiKeysSchema.optional(),
  /** The pool's timing; only with apiKeys. */
  keyPool: keyPoolSchema.optional(),
};

interface OperatorKeySettings {
  readonly apiKey?: unknown;
  readonly apiKeys?: unknown;
  readonly keyPool?: unknown;
}

/** Exactly one of `apiKey` and `apiKeys` (or neither: no operator key); `keyPool` only beside `apiKeys`. */
export function checkOperatorKeys(settings: OperatorKeySettings, context: z.RefinementCtx): void {
  if (settings.apiKey !== undefined && settings.apiKeys !== undefined) {
    context.addIssue({
      code: "custom",
      path: ["apiKeys"],
      message: "set either apiKey or apiKeys, not both",
    });
  }
  if (settings.keyPool !== undefined && settings.apiKeys === undefined) {
    context.addIssue({
      code: "custom",
      path: ["keyPool"],
      message: "keyPool applies to apiKeys only (a single apiKey never rests)",
    });
  }
}

/**
 * @module wire/invalid-field
 * The request contract's shared wording: one `invalid_request` per spec-forbidden shape, with `param` in
 * `messages[0].role` notation, worded the same on every ingress, plus the few type tests the checks share.
 */
import { GatewayError } from "../errors/gateway-error.ts";

/** The finer code every contract refusal carries (the translators' refusals of bad values carry it too). */
export const INVALID_VALUE = "invalid_value";

/** "`<param>` must be <expected>." */
export function invalidField(param: string, expected: string): GatewayError {
  return new GatewayError("invalid_request", {
    message: `\`${param}\` must be ${expected}.`,
    code: INVALID_VALUE,
    param,
  });
}

/** "`<param>` is required." */
export function missingField(param: string): GatewayError {
  return new GatewayError("invalid_request", {
    message: `\`${param}\` is required.`,
    code: INVALID_VALUE,
    param,
  });
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export type FieldType =
  | "boolean"
  | "integer"
  | "positive integer"
  | "number"
  | "string"
  | "object"
  | "objects"
  | "strings";

const FIELD_TYPES: Readonly<Record<FieldType, readonly [(value: unknown) => boolean, string]>> = {
  boolean: [(value) => typeof value === "boolean", "a boolean"],
  // JSON Schema's integer: any number without a fraction (1e308 included; bounds are the provider's to judge).
  integer: [(value) => Number.isInteger(value), "an integer"],
  // A count the gateway multiplies by (chat's `n`): exact, so a safe integer.
  "positive integer": [
    (value) => Number.isSafeInteger(value) && (value as number) >= 1,
    "a positive integer",
  ],
  number: [(value) => typeof value === "number" && Number.isFinite(value), "a number"],
  string: [(value) => typeof value === "string", "a string"],
  object: [isRecord, "an object"],
  objects: [(value) => Array.isArray(value) && value.every(isRecord), "an array of objects"],
  strings: [
    (value) => Array.isArray(value) && value.every((item) => typeof item === "string"),
    "an array of strings",
  ],
};

/** An optional top-level field: absent (or null where the spec allows null) passes; the wrong type is refused. */
export interface FieldRule {
  readonly field: string;
  readonly type: FieldType;
  readonly nullable?: boolean;
}

/** The first field of `rules` whose value has the wrong JSON type, or null. */
export function checkFields(
  body: Readonly<Record<string, unknown>>,
  rules: readonly FieldRule[],
): GatewayError | null {
  for (const { field, type, nullable } of rules) {
    const value = body[field];
    if (value === undefined || (value === null && nullable === true)) continue;
    const [accepts, expected] = FIELD_TYPES[type];
    // Worded without "or null" so the same mistake reads the same where the spec allows no null.
    if (!accepts(value)) return invalidField(field, expected);
  }
  return null;
}

/** A content array's items: objects naming their `type`; the first that is not, or null. */
export function checkContentItems(items: readonly unknown[], param: string): GatewayError | null {
  for (let index = 0; index < items.length; index += 1) {
    const item = items[index];
    if (!isRecord(item) || typeof item.type !== "string") {
      return invalidField(`${param}[${index}]`, "an object with a string `type`");
    }
  }
  return null;
}

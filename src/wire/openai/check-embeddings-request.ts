/**
 * @module wire/openai/check-embeddings-request
 * The Embeddings request contract (`CreateEmbeddingRequest`): `input` a string, or a non-empty array of
 * strings, of token integers or of non-empty token arrays; the first spec-forbidden shape as a 400.
 */
import type { GatewayError } from "../../errors/gateway-error.ts";
import { checkFields, type FieldRule, invalidField, missingField } from "../invalid-field.ts";

const INPUT = "a string, or a non-empty array of strings, of token integers or of non-empty token arrays";

const FIELDS: readonly FieldRule[] = [
  { field: "encoding_format", type: "string" },
  { field: "dimensions", type: "integer" },
  { field: "user", type: "string" },
];

const isTokenArray = (value: unknown): boolean =>
  Array.isArray(value) && value.length > 0 && value.every((token) => Number.isInteger(token));

function inputAccepted(input: unknown): boolean {
  if (typeof input === "string") return true;
  if (!Array.isArray(input) || input.length === 0) return false;
  return (
    input.every((item) => typeof item === "string") ||
    input.every((item) => Number.isInteger(item)) ||
    input.every(isTokenArray)
  );
}

export function checkEmbeddingsRequest(body: Readonly<Record<string, unknown>>): GatewayError | null {
  if (body.input === undefined) return missingField("input");
  if (!inputAccepted(body.input)) return invalidField("input", INPUT);
  return checkFields(body, FIELDS);
}

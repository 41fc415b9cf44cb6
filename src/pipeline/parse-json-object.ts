/**
 * @module pipeline/parse-json-object
 * A model request's body as every served path first reads it: a JSON object carrying its required field,
 * or a 400 naming what is missing.
 */
import { GatewayError } from "../errors/gateway-error.ts";

/** A JSON object body with its required field, or a 400. */
export function asObject(body: unknown, required: string): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new GatewayError("invalid_request", { message: "The request body must be a JSON object." });
  }
  const record = body as Record<string, unknown>;
  if (record[required] === undefined) {
    throw new GatewayError("invalid_request", { message: `\`${required}\` is required.`, param: required });
  }
  return record;
}

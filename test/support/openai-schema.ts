/**
 * @module test/support/openai-schema
 * Validates bodies against OpenAI's published OpenAPI schemas (a vendored subset) with Ajv, and parses SSE bodies.
 */
import { AssertionError } from "node:assert";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ErrorObject, ValidateFunction } from "ajv";
import ajv2020Module from "ajv/dist/2020.js";
import ajvFormatsModule from "ajv-formats";

const Ajv2020 = ajv2020Module.default;
const addFormats = ajvFormatsModule.default;
type Ajv = InstanceType<typeof Ajv2020>;

/**
 * The schemas the tests use, extracted from OpenAI's published description (shared/reference/
 * openai-openapi.json) by test/fixtures/openai/extract-openai-schemas.ts, so the suite needs nothing
 * outside the repository. `OPENAI_OPENAPI_PATH` points at the full description instead.
 */
export const OPENAI_OPENAPI_PATH =
  process.env.OPENAI_OPENAPI_PATH ??
  fileURLToPath(new URL("../fixtures/openai/openai-schemas.json", import.meta.url));

const DOCUMENT_ID = "https://byok-gateway.test/openai-openapi.json";
const COMPOSITION_KEYS = ["$ref", "allOf", "anyOf", "oneOf", "not", "const"] as const;

let ajv: Ajv | undefined;
const validators = new Map<string, ValidateFunction>();

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Rewrites OpenAPI 3.0 `nullable: true` into JSON Schema: `"null"` joins a plain `type` (and `enum`); a node
 * without a plain type (a `$ref` with siblings, a composition, a bare schema) becomes `anyOf: [node, {type: null}]`.
 */
export function rewriteNullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteNullable);
  if (!isRecord(node)) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "nullable" && typeof value === "boolean") continue;
    out[key] = rewriteNullable(value);
  }
  if (node.nullable !== true) return out;
  const composed = COMPOSITION_KEYS.some((key) => key in out);
  const type = out.type;
  if (!composed && (typeof type === "string" || Array.isArray(type))) {
    const types: unknown[] = Array.isArray(type) ? type : [type];
    if (!types.includes("null")) out.type = [...types, "null"];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    return out;
  }
  return { anyOf: [out, { type: "null" }] };
}

function getAjv(): Ajv {
  if (ajv) return ajv;
  const document = JSON.parse(readFileSync(OPENAI_OPENAPI_PATH, "utf8")) as unknown;
  if (!isRecord(document)) throw new Error(`${OPENAI_OPENAPI_PATH} is not a JSON object`);
  const rewritten = rewriteNullable(document) as Record<string, unknown>;
  const instance = new Ajv2020({ strict: false, allErrors: true });
  addFormats(instance);
  instance.addFormat("unixtime", { type: "number", validate: (value: number) => Number.isInteger(value) });
  instance.addSchema({ ...rewritten, $id: DOCUMENT_ID });
  ajv = instance;
  return instance;
}

/** The compiled (and cached) validator for `components.schemas[name]`. */
export function schemaValidator(name: string): ValidateFunction {
  const cached = validators.get(name);
  if (cached) return cached;
  const validate = getAjv().compile({ $ref: `${DOCUMENT_ID}#/components/schemas/${name}` });
  validators.set(name, validate);
  return validate;
}

function describeErrors(errors: readonly ErrorObject[] | null | undefined): string {
  if (!errors || errors.length === 0) return "  (no detail)";
  return errors
    .map(
      (error) =>
        `  ${error.instancePath || "/"} ${error.message ?? error.keyword} ${JSON.stringify(error.params)}`,
    )
    .join("\n");
}

function fail(name: string, value: unknown, detail: string): never {
  throw new AssertionError({
    message: `not a valid ${name}:\n${detail}\n${JSON.stringify(value, null, 2)}`,
    actual: value,
    expected: name,
    operator: "matchesOpenApiSchema",
  });
}

/** Asserts `value` matches `components.schemas[name]` of OpenAI's OpenAPI description. */
export function assertMatchesSchema(name: string, value: unknown): void {
  const validate = schemaValidator(name);
  if (!validate(value)) fail(name, value, describeErrors(validate.errors));
}

export function assertValidChatCompletion(body: unknown): void {
  assertMatchesSchema("CreateChatCompletionResponse", body);
}

export function assertValidChatCompletionChunk(chunk: unknown): void {
  assertMatchesSchema("CreateChatCompletionStreamResponse", chunk);
}

/** Decodes an `encoding_format: "base64"` embedding: little-endian float32 values. */
export function decodeBase64Embedding(encoded: string): number[] {
  if (encoded.length === 0 || encoded.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) {
    throw new Error(`not canonical base64 (${encoded.length} chars)`);
  }
  const bytes = Buffer.from(encoded, "base64");
  if (bytes.length % 4 !== 0)
    throw new Error(`${bytes.length} bytes is not a whole number of float32 values`);
  const values: number[] = [];
  for (let offset = 0; offset < bytes.length; offset += 4) {
    const value = bytes.readFloatLE(offset);
    if (!Number.isFinite(value)) throw new Error(`non-finite float32 at index ${offset / 4}`);
    values.push(value);
  }
  return values;
}

/**
 * The schema's `Embedding.embedding` is only `array of number` (format float), although `CreateEmbeddingRequest`
 * allows `encoding_format: "base64"` and the API then answers a base64 string. So a string embedding is checked
 * as canonical base64 of little-endian float32 values, and the decoded form is what the schema validates.
 */
export function assertValidEmbeddingResponse(body: unknown): void {
  const name = "CreateEmbeddingResponse";
  if (!isRecord(body) || !Array.isArray(body.data)) {
    assertMatchesSchema(name, body);
    return;
  }
  const data = body.data.map((item: unknown, index: number) => {
    if (!isRecord(item) || typeof item.embedding !== "string") return item;
    try {
      return { ...item, embedding: decodeBase64Embedding(item.embedding) };
    } catch (error) {
      return fail(name, body, `  /data/${index}/embedding ${(error as Error).message}`);
    }
  });
  const validate = schemaValidator(name);
  if (!validate({ ...body, data })) fail(name, body, describeErrors(validate.errors));
}

export function assertValidModelList(body: unknown): void {
  assertMatchesSchema("ListModelsResponse", body);
}

export function assertValidErrorResponse(body: unknown): void {
  assertMatchesSchema("ErrorResponse", body);
}

/** The `data:` payload of each SSE event in `text` (multi-line data joined by "\n"), `[DONE]` included. */
export function sseDataPayloads(text: string): string[] {
  const payloads: string[] = [];
  for (const block of text.replace(/\r\n?/g, "\n").split(/\n\n+/)) {
    const data = block
      .split("\n")
      .filter((line) => line === "data" || line.startsWith("data:"))
      .map((line) => line.slice(5).replace(/^ /, ""));
    if (data.length > 0) payloads.push(data.join("\n"));
  }
  return payloads;
}

/** The parsed JSON of each SSE `data:` payload except `[DONE]`; throws an AssertionError on non-JSON data. */
export function parseSseData(text: string): unknown[] {
  return sseDataPayloads(text)
    .filter((payload) => payload !== "[DONE]")
    .map((payload) => {
      try {
        return JSON.parse(payload) as unknown;
      } catch {
        throw new AssertionError({ message: `SSE data is not JSON: ${payload}`, actual: payload });
      }
    });
}

/** How many `data: [DONE]` events `text` carries (a well-formed OpenAI stream has exactly one, last). */
export function sseDoneCount(text: string): number {
  return sseDataPayloads(text).filter((payload) => payload === "[DONE]").length;
}

/** A Responses API `Response` object (non-streamed answer, or the one a lifecycle event carries). */
export function assertValidResponse(body: unknown): void {
  assertMatchesSchema("Response", body);
}

export interface TypedSseEvent {
  /** The `event:` line. */
  readonly event: string | null;
  readonly data: Record<string, unknown>;
}

/** Each event of a typed SSE stream (the Responses API's): its `event:` line and parsed JSON data. */
export function parseTypedSseEvents(text: string): TypedSseEvent[] {
  const events: TypedSseEvent[] = [];
  for (const block of text.replace(/\r\n?/g, "\n").split(/\n\n+/)) {
    const lines = block.split("\n");
    const data = lines
      .filter((line) => line.startsWith("data:"))
      .map((line) => line.slice(5).replace(/^ /, ""))
      .join("\n");
    if (data === "") continue;
    const event =
      lines
        .find((line) => line.startsWith("event:"))
        ?.slice(6)
        .trim() ?? null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data) as unknown;
    } catch {
      throw new AssertionError({ message: `SSE data is not JSON: ${data}`, actual: data });
    }
    if (!isRecord(parsed))
      throw new AssertionError({ message: `SSE data is not an object: ${data}`, actual: data });
    events.push({ event, data: parsed });
  }
  return events;
}

/**
 * Asserts a whole Responses stream: every event validates against `ResponseStreamEvent`, its `event:` line
 * names its `type`, and `sequence_number` counts 0, 1, 2, … Answers the events' data.
 */
export function assertValidResponsesStream(text: string): Record<string, unknown>[] {
  const events = parseTypedSseEvents(text);
  events.forEach(({ event, data }, index) => {
    assertMatchesSchema("ResponseStreamEvent", data);
    if (event !== data.type)
      throw new AssertionError({
        message: `event line ${event} for a ${String(data.type)} event`,
        actual: event,
      });
    if (data.sequence_number !== index)
      throw new AssertionError({
        message: `sequence_number ${String(data.sequence_number)} at position ${index}`,
        actual: data.sequence_number,
        expected: index,
      });
  });
  return events.map(({ data }) => data);
}

/** OpenAI's ResponseErrorCode values (what a failed Response's `error.code` may be). */
const responseErrorCodes = (): readonly string[] => {
  const spec = JSON.parse(readFileSync(OPENAI_OPENAPI_PATH, "utf8")) as {
    components: { schemas: { ResponseErrorCode: { enum: string[] } } };
  };
  return spec.components.schemas.ResponseErrorCode.enum;
};

/**
 * Asserts a Responses stream's events end as a failed response does: one `error` event (carrying the
 * OpenAI `error` object the SDKs raise), then the terminal `response.failed` whose Response has
 * `status: "failed"` and an `error` with a spec ResponseErrorCode; each valid against its own schema.
 * Answers both events.
 */
export function assertFailedEnd(events: readonly Record<string, unknown>[]): {
  error: Record<string, unknown>;
  failed: Record<string, unknown>;
  response: Record<string, unknown> & { error: { code: string; message: string } };
} {
  const error = events.at(-2);
  const failed = events.at(-1);
  if (error?.type !== "error" || failed?.type !== "response.failed")
    throw new AssertionError({
      message: `a failed stream ends with error, response.failed; got ${events.map((event) => String(event.type)).join(", ")}`,
    });
  assertMatchesSchema("ResponseErrorEvent", error);
  assertMatchesSchema("ResponseFailedEvent", failed);
  if (events.filter((event) => event.type === "error").length !== 1)
    throw new AssertionError({ message: "one error event" });
  if (!isRecord(error.error) || error.error.message !== error.message)
    throw new AssertionError({
      message: `the error event carries the OpenAI error object: ${JSON.stringify(error)}`,
    });
  const response = failed.response as Record<string, unknown> & { error: { code: string; message: string } };
  if (response.status !== "failed" || !responseErrorCodes().includes(response.error?.code))
    throw new AssertionError({ message: `a failed Response: ${JSON.stringify(response).slice(0, 500)}` });
  if (response.error.message !== error.message)
    throw new AssertionError({ message: "the failed Response's error says what the error event said" });
  return { error, failed, response };
}

/**
 * @module test/support/openapi-checker
 * The gateway's own /openapi.json as a checker: a request body or an answer validated against the schema
 * the document gives for its path, method and status (Ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses).
 */
import assert from "node:assert/strict";
import type { ValidateFunction } from "ajv";
import ajv2020Module from "ajv/dist/2020.js";
import ajvFormatsModule from "ajv-formats";

const Ajv2020 = ajv2020Module.default;
const addFormats = ajvFormatsModule.default;
const DOCUMENT_ID = "https://byok-gateway.test/gateway-openapi.json";

type Content = Record<string, { schema?: { $ref?: string } }>;
interface Operation {
  readonly requestBody?: { content?: Content };
  readonly responses: Record<string, { content?: Content }>;
}
interface Document {
  readonly openapi: string;
  readonly paths: Record<string, Record<string, Operation>>;
}

export interface OpenApiChecker {
  /** Asserts a JSON request body matches the documented request schema of `method path`. */
  checkRequest(path: string, method: string, body: unknown): void;
  /** Asserts a JSON answer matches the documented schema for its status (or `default`). */
  checkResponse(path: string, method: string, status: number, body: unknown): void;
  /** `method path` pairs checked so far (requests and answers). */
  readonly checked: ReadonlySet<string>;
}

/** Builds a checker from the document a running gateway serves at `${baseUrl}/openapi.json`. */
export async function loadOpenApiChecker(baseUrl: string): Promise<OpenApiChecker> {
  const response = await fetch(`${baseUrl}/openapi.json`);
  assert.equal(response.status, 200, "GET /openapi.json answers");
  const document = (await response.json()) as Document;
  assert.equal(document.openapi, "3.1.0");
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ ...document, $id: DOCUMENT_ID });
  const validators = new Map<string, ValidateFunction>();
  const checked = new Set<string>();

  const validate = (ref: string | undefined, what: string, body: unknown) => {
    assert.ok(ref, `${what} has a JSON schema`);
    let validator = validators.get(ref);
    if (!validator) {
      validator = ajv.compile({ $ref: `${DOCUMENT_ID}${ref}` });
      validators.set(ref, validator);
    }
    assert.ok(validator(body), `${what}: ${JSON.stringify(validator.errors)}\n${JSON.stringify(body)}`);
  };
  const operationOf = (path: string, method: string): Operation => {
    const operation = document.paths[path]?.[method.toLowerCase()];
    assert.ok(operation, `${method} ${path} is documented`);
    checked.add(`${method.toUpperCase()} ${path}`);
    return operation;
  };

  return {
    checkRequest(path, method, body) {
      const operation = operationOf(path, method);
      const schema = operation.requestBody?.content?.["application/json"]?.schema;
      validate(schema?.$ref, `${method} ${path} request`, body);
    },
    checkResponse(path, method, status, body) {
      const operation = operationOf(path, method);
      const answer = operation.responses[String(status)] ?? operation.responses.default;
      assert.ok(answer, `${method} ${path} documents status ${status}`);
      validate(answer.content?.["application/json"]?.schema?.$ref, `${method} ${path} ${status}`, body);
    },
    checked,
  };
}

/**
 * A `fetch` for a client under test: every JSON body it sends to the gateway and every JSON answer it
 * gets back are checked against the document before the client sees them.
 */
export function createCheckedFetch(checker: OpenApiChecker, baseUrl: string): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const gatewayOwn = url.origin === new URL(baseUrl).origin && !url.pathname.startsWith("/v1/chat/");
    const sent = request.body ? await request.clone().text() : "";
    if (gatewayOwn && sent !== "") checker.checkRequest(url.pathname, request.method, JSON.parse(sent));
    const response = await fetch(request);
    if (!gatewayOwn) return response;
    const text = await response.clone().text();
    if ((response.headers.get("content-type") ?? "").startsWith("application/json")) {
      checker.checkResponse(url.pathname, request.method, response.status, JSON.parse(text));
    }
    return response;
  };
}

/**
 * @module test/http/openapi
 * GET /openapi.json kept equal to the gateway: every registered route (Fastify's onRoute) is in the
 * document and every documented operation is registered, and real answers of the gateway's own endpoints
 * validate against the document's schemas (Ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ValidateFunction } from "ajv";
import ajv2020Module from "ajv/dist/2020.js";
import ajvFormatsModule from "ajv-formats";
import type { RouteOptions } from "fastify";
import { computeFingerprint } from "../../src/keys/index.ts";
import { addUser, call, type JsonResponse } from "../support/gateway-client.ts";
import { ADMIN_TOKEN, startGateway, type TestGateway } from "../support/start-gateway.ts";

const Ajv2020 = ajv2020Module.default;
const addFormats = ajvFormatsModule.default;
const DOCUMENT_ID = "https://byok-gateway.test/gateway-openapi.json";

type Operation = { responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }> };
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

/**
 * Fastify's `/admin/users/:id` → OpenAPI's `/admin/users/{id}`; Fastify's unnamed wildcard (the one route
 * that has it takes a model id, which may hold `/`) → `{model}`.
 */
const toOpenApiPath = (url: string) =>
  url.replace(/:([A-Za-z_]+)/g, "{$1}").replace(/^\/v1\/models\/\*$/, "/v1/models/{model}");

describe("GET /openapi.json", () => {
  let gateway: TestGateway;
  let document: Document;
  const registered = new Set<string>();
  const validators = new Map<string, ValidateFunction>();
  let ajv: InstanceType<typeof Ajv2020>;

  before(async () => {
    gateway = await startGateway({
      onRoute: (route: RouteOptions) => {
        for (const method of [route.method].flat()) {
          if (method !== "HEAD") registered.add(`${method.toLowerCase()} ${toOpenApiPath(route.url)}`);
        }
      },
      config: {
        features: {
          chat: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }] },
          transcribe: { routes: [{ provider: "deepgram", model: "nova-3" }] },
        },
      },
    });
    const response = await call(gateway, "GET", "/openapi.json");
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
    document = response.body as Document;
    ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ ...document, $id: DOCUMENT_ID });
  });
  after(() => gateway.close());

  /** Asserts a real answer matches the schema the document gives for its path, method and status. */
  function assertDocumented(path: string, method: string, response: JsonResponse): void {
    const operation = document.paths[path]?.[method];
    assert.ok(operation, `${method} ${path} is documented`);
    const answer = operation.responses[String(response.status)] ?? operation.responses.default;
    assert.ok(answer, `${method} ${path} documents status ${response.status}`);
    const ref = answer.content?.["application/json"]?.schema?.$ref;
    assert.ok(ref, `${method} ${path} ${response.status} has a JSON schema`);
    let validate = validators.get(ref);
    if (!validate) {
      validate = ajv.compile({ $ref: `${DOCUMENT_ID}${ref}` });
      validators.set(ref, validate);
    }
    assert.ok(
      validate(response.body),
      `${method} ${path} ${response.status}: ${JSON.stringify(validate.errors)}\n${response.text}`,
    );
  }

  test("is OpenAPI 3.1 and documents every registered route, and nothing that is not", () => {
    assert.equal(document.openapi, "3.1.0");
    const documented = new Set(
      Object.entries(document.paths).flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => `${method} ${path}`),
      ),
    );
    const missing = [...registered].filter((route) => !documented.has(route));
    assert.deepEqual(missing, [], "every route the gateway registers is in the document");
    const phantom = [...documented].filter((route) => !registered.has(route));
    assert.deepEqual(phantom, [], "every documented operation is registered");
    assert.ok(registered.has("post /v1/byok/verify") && registered.has("post /admin/settings-links"));
  });

  test("the schemas are strict enough to fail a wrong answer (control)", () => {
    const validate = ajv.compile({ $ref: `${DOCUMENT_ID}#/components/schemas/VerifyResults` });
    const result = { status: "valid", message: null, latencyMs: 3, httpStatus: 200, egressReason: null };
    assert.equal(validate({ results: { openai: result } }), true);
    assert.equal(validate({ results: { openai: { ...result, status: "maybe" } } }), false);
    assert.equal(validate({ results: { mistral: result } }), false);
    assert.equal(validate({ results: { openai: { ...result, key: "sk-x" } } }), false);
  });

  test("the user's endpoints answer as documented", async () => {
    const token = await addUser(gateway, "openapi-user");
    const keys = { openai: "sk-openapi-user-key-1111111111111111" };
    const headers = { "x-byok-openai": keys.openai };
    const enrolled = await call(gateway, "PUT", "/v1/byok/enrollment", {
      token,
      body: { fingerprints: { openai: computeFingerprint(keys.openai) } },
    });
    assertDocumented("/v1/byok/enrollment", "put", enrolled);
    assertDocumented(
      "/v1/byok/enrollment",
      "get",
      await call(gateway, "GET", "/v1/byok/enrollment", { token }),
    );
    assertDocumented(
      "/v1/byok/heartbeat",
      "post",
      await call(gateway, "POST", "/v1/byok/heartbeat", { token }),
    );
    assertDocumented(
      "/v1/byok/routes",
      "get",
      await call(gateway, "GET", "/v1/byok/routes", { token, headers }),
    );
    const verified = await call(gateway, "POST", "/v1/byok/verify", {
      token,
      headers: {
        "x-byok-custom": "sk-custom-openapi-2222222222222222",
        "x-byok-custom-base-url": "https://localhost/v1",
      },
    });
    assert.equal(verified.status, 200);
    assertDocumented("/v1/byok/verify", "post", verified);
    assertDocumented("/v1/usage", "get", await call(gateway, "GET", "/v1/usage", { token, headers }));
    const ticket = await call(gateway, "POST", "/v1/listen/tickets?model=transcribe", { token });
    assert.equal(ticket.status, 201, ticket.text);
    assertDocumented("/v1/listen/tickets", "post", ticket);
    assertDocumented(
      "/v1/byok/enrollment",
      "delete",
      await call(gateway, "DELETE", "/v1/byok/enrollment", { token }),
    );
  });

  test("the admin endpoints answer as documented", async () => {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const created = await call(gateway, "POST", "/admin/users", {
      headers: admin,
      body: { id: "openapi-admin" },
    });
    assertDocumented("/admin/users", "post", created);
    assertDocumented("/admin/users", "get", await call(gateway, "GET", "/admin/users", { headers: admin }));
    const path = "/admin/users/openapi-admin";
    assertDocumented(
      "/admin/users/{id}/tokens",
      "post",
      await call(gateway, "POST", `${path}/tokens`, { headers: admin }),
    );
    assertDocumented(
      "/admin/users/{id}/plan",
      "put",
      await call(gateway, "PUT", `${path}/plan`, { headers: admin, body: { plan: null } }),
    );
    assertDocumented(
      "/admin/users/{id}/usage",
      "get",
      await call(gateway, "GET", `${path}/usage`, { headers: admin }),
    );
    assertDocumented("/admin/usage", "get", await call(gateway, "GET", "/admin/usage", { headers: admin }));
    const link = await call(gateway, "POST", "/admin/settings-links", {
      headers: admin,
      body: { userId: "openapi-admin" },
    });
    assertDocumented("/admin/settings-links", "post", link);
    assertDocumented("/admin/users/{id}", "delete", await call(gateway, "DELETE", path, { headers: admin }));
    gateway.byok.breakers.failed("openai|operator");
    assertDocumented(
      "/admin/breakers",
      "get",
      await call(gateway, "GET", "/admin/breakers", { headers: admin }),
    );
    const reset = await call(gateway, "POST", "/admin/breakers/reset", {
      headers: admin,
      body: { upstream: "openai|operator" },
    });
    assertDocumented("/admin/breakers/reset", "post", reset);
  });

  test("health and errors answer as documented", async () => {
    assertDocumented("/healthz", "get", await call(gateway, "GET", "/healthz"));
    assertDocumented("/readyz", "get", await call(gateway, "GET", "/readyz"));
    const unauthenticated = await call(gateway, "GET", "/v1/byok/enrollment");
    assert.equal(unauthenticated.status, 401);
    assertDocumented("/v1/byok/enrollment", "get", unauthenticated);
    const badLink = await call(gateway, "POST", "/admin/settings-links", {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: { userId: "x", ttlSeconds: 5 },
    });
    assert.equal(badLink.status, 400);
    assertDocumented("/admin/settings-links", "post", badLink);
    const noKeys = await call(gateway, "POST", "/v1/byok/verify", {
      token: await addUser(gateway, "openapi-nokeys"),
    });
    assert.equal(noKeys.status, 400);
    assertDocumented("/v1/byok/verify", "post", noKeys);
  });
});

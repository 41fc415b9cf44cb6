/**
 * @module test/support/responses-sdk
 * What the Responses API gateway tests share: a gateway over the loopback chat fakes with a metered
 * feature, a plan and a default feature for /v1/responses, two function tools, and assertions that what
 * the official SDK received is valid on the wire (Responses, numbered events) or a refusal sent nowhere.
 */
import assert from "node:assert/strict";
import OpenAI from "openai";
import type { GatewayConfigInput } from "../../src/config/index.ts";
import { type ModelGateway, startModelGateway } from "./model-gateway.ts";
import { assertMatchesSchema, assertValidErrorResponse, assertValidResponse } from "./openai-schema.ts";
import { SDK_FEATURES } from "./provider-routes.ts";

export const WEATHER_TOOLS: OpenAI.Responses.FunctionTool[] = ["get_weather", "get_time"].map((name) => ({
  type: "function",
  name,
  description: null,
  parameters: {
    type: "object",
    properties: { city: { type: "string" } },
    required: ["city"],
    additionalProperties: false,
  },
  strict: true,
}));

export const RESPONSES_FEATURES: NonNullable<GatewayConfigInput["features"]> = {
  ...SDK_FEATURES,
  metered: { routes: [{ provider: "openrouter", model: "openai/gpt-4.1-mini" }], operatorFallback: true },
};
export const PLAN_REQUESTS = 2;
const plans: GatewayConfigInput["plans"] = {
  small: { limits: [{ meter: "requests", period: "day", limit: PLAN_REQUESTS, features: ["metered"] }] },
};

/** Asserts what the SDK parsed is a valid Response on the wire (`output_text` is the SDK's own addition). */
export function assertWireResponse(parsed: unknown): void {
  const raw = JSON.parse(JSON.stringify(parsed)) as Record<string, unknown>;
  delete raw.output_text;
  assertValidResponse(raw);
}

/** Collects a `responses.stream()`'s events as sent and checks each against the schema and its number. */
export function collectEvents(stream: {
  on(event: "event", listener: (event: unknown) => void): unknown;
}): unknown[] {
  const events: unknown[] = [];
  stream.on("event", (event) => {
    const { snapshot: _snapshot, ...wire } = JSON.parse(JSON.stringify(event)) as Record<string, unknown>;
    assertMatchesSchema("ResponseStreamEvent", wire);
    assert.equal(wire.sequence_number, events.length);
    events.push(wire);
  });
  return events;
}

/** Asserts an SDK error is the gateway's 400 with `param`, and that nothing reached `fake`. */
export async function assertRefused(
  fake: { requests: unknown[] },
  action: () => Promise<unknown>,
  param: string,
): Promise<void> {
  const before = fake.requests.length;
  await assert.rejects(action, (error: unknown) => {
    assert.ok(error instanceof OpenAI.BadRequestError, String(error));
    assert.equal(error.status, 400);
    assert.equal(error.type, "invalid_request");
    assert.equal(error.param, param);
    assertValidErrorResponse({ error: error.error });
    return true;
  });
  assert.equal(fake.requests.length, before, "nothing was sent upstream");
}

/** SDK_FEATURES plus `metered` (openrouter, operator fallback, limited by the `small` plan). */
export function startResponsesGateway(): Promise<ModelGateway> {
  return startModelGateway({
    features: RESPONSES_FEATURES,
    // An app written for OpenAI names OpenAI's models: unknown names on /v1/responses use this feature.
    config: { plans, routing: { defaultFeatures: { responses: "chat_openrouter" } } },
  });
}

/** Asserts an SDK error is the gateway's 402 quota refusal, and that nothing reached `fake`. */
export async function assertRefusedQuota(
  fake: { requests: unknown[] },
  action: () => Promise<unknown>,
): Promise<void> {
  const before = fake.requests.length;
  await assert.rejects(action, (error: unknown) => {
    assert.ok(error instanceof OpenAI.APIError);
    assert.equal(error.status, 402);
    assert.equal(error.type, "quota_exceeded");
    return true;
  });
  assert.equal(fake.requests.length, before, "nothing was sent upstream");
}

/**
 * @module test/support/provider-routes
 * The features and users the OpenAI-SDK gateway tests share: one chat feature per fake provider, each route
 * BYOK- and operator-served (custom BYOK only), with the key the fake must see and the X-BYOK-Route expected.
 */
import assert from "node:assert/strict";
import type { GatewayConfigInput } from "../../src/config/index.ts";
import type { FakeProvider, RecordedRequest } from "../peers/fake-openai-provider.ts";
import {
  type FakeProviderId,
  type GatewayUser,
  type ModelGateway,
  OPERATOR_KEYS,
  TEST_FEATURES,
} from "./model-gateway.ts";

/** The users' own raw keys, one per provider. */
export const USER_KEYS: Readonly<Record<FakeProviderId, string>> = {
  openai: "sk-user-openai-1111111111111111",
  openrouter: "sk-or-user-2222222222222222222",
  gemini: "AIza-user-gemini-333333333333333",
  custom: "sk-user-custom-4444444444444444",
};

export const CUSTOM_MODEL = "my-model";

/** TEST_FEATURES plus one chat feature for each of openrouter and gemini alone, and gemini embeddings. */
export const SDK_FEATURES: NonNullable<GatewayConfigInput["features"]> = {
  ...TEST_FEATURES,
  chat_openrouter: { routes: [{ provider: "openrouter", model: "openai/gpt-4.1-mini" }] },
  chat_gemini: { routes: [{ provider: "gemini", model: "gemini-2.5-flash" }] },
  embed_gemini: { needs: ["embeddings"], routes: [{ provider: "gemini", model: "gemini-embedding-001" }] },
};

export type Source = "byok" | "operator";

export interface ChatRoute {
  readonly provider: FakeProviderId;
  /** The feature the request names in `model`. */
  readonly feature: string;
  /** The model the upstream is asked for. */
  readonly model: string;
  readonly sources: readonly Source[];
}

/** One chat feature per fake provider; `agent` allows the custom endpoint, which a custom-only user gets. */
export const CHAT_ROUTES: readonly ChatRoute[] = [
  { provider: "openai", feature: "summary", model: "gpt-4.1-mini", sources: ["byok", "operator"] },
  {
    provider: "openrouter",
    feature: "chat_openrouter",
    model: "openai/gpt-4.1-mini",
    sources: ["byok", "operator"],
  },
  { provider: "gemini", feature: "chat_gemini", model: "gemini-2.5-flash", sources: ["byok", "operator"] },
  { provider: "custom", feature: "agent", model: CUSTOM_MODEL, sources: ["byok"] },
];

/** A user who holds only `provider`'s key (BYOK), or no key at all (operator). */
export function routeUser(env: ModelGateway, provider: FakeProviderId, source: Source): Promise<GatewayUser> {
  if (source === "operator") return env.user();
  const keys = { [provider]: USER_KEYS[provider] };
  return provider === "custom"
    ? env.user(keys, { baseUrl: env.fakes.custom.baseUrl, model: CUSTOM_MODEL })
    : env.user(keys);
}

/** The bearer key the fake must receive for this route and source. */
export function expectedKey(provider: FakeProviderId, source: Source): string {
  if (source === "byok") return USER_KEYS[provider];
  if (provider === "custom") throw new Error("the custom endpoint is never operator-served");
  return OPERATOR_KEYS[provider];
}

export function expectedRoute(provider: FakeProviderId, model: string, source: Source): string {
  return `${provider}/${model}; source=${source}`;
}

/**
 * Runs `action` and returns its result with the one request `fake` received meanwhile (the tests of a file run
 * one at a time, so a fake's new requests are that test's).
 */
export async function withUpstreamRequest<T>(
  fake: FakeProvider,
  action: () => Promise<T>,
): Promise<{ readonly result: T; readonly upstream: RecordedRequest }> {
  const before = fake.requests.length;
  const result = await action();
  assert.equal(fake.requests.length, before + 1, "the fake received exactly one request");
  return { result, upstream: fake.requests[before]! };
}

/** The upstream request's JSON body as a record. */
export function bodyOf(request: RecordedRequest): Record<string, unknown> {
  assert.equal(typeof request.body, "object");
  assert.notEqual(request.body, null);
  return request.body as Record<string, unknown>;
}

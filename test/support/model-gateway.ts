/**
 * @module test/support/model-gateway
 * A gateway whose providers all point at loopback fakes, with an app's features declared, a user with a
 * token, and helpers to enroll keys and build an official `openai` client that sends them.
 */
import OpenAI from "openai";
import type { GatewayConfigInput } from "../../src/config/index.ts";
import {
  type FakeProvider,
  type FakeProviderOptions,
  startFakeOpenAiProvider,
} from "../peers/fake-openai-provider.ts";
import { addUser, enroll } from "./gateway-client.ts";
import { type StartGatewayOptions, startGateway, type TestGateway } from "./start-gateway.ts";

export const OPERATOR_KEYS = {
  openai: "sk-operator-openai-0000000000000000",
  openrouter: "sk-or-operator-0000000000000000000",
  gemini: "AIza-operator-gemini-000000000000000",
} as const;

export type FakeProviderId = "openai" | "openrouter" | "gemini" | "custom";

export interface ModelGateway {
  readonly gateway: TestGateway;
  readonly fakes: Readonly<Record<FakeProviderId, FakeProvider>>;
  /** A new user with a token, enrolled for the given raw keys (and custom endpoint). */
  user(keys?: Record<string, string>, custom?: { baseUrl: string; model?: string }): Promise<GatewayUser>;
  close(): Promise<void>;
}

export interface GatewayUser {
  readonly id: string;
  readonly token: string;
  /** X-BYOK-* headers carrying the user's raw keys. */
  readonly headers: Record<string, string>;
  /** The official SDK pointed at the gateway with the user's token and keys. */
  readonly openai: OpenAI;
}

/** The features most tests use: an app with a summary feature, an agent, embeddings and a BYOK-only one. */
export const TEST_FEATURES: NonNullable<GatewayConfigInput["features"]> = {
  summary: {
    routes: [{ provider: "openai", model: "gpt-4.1-mini", params: { temperature: 0.2 } }],
    operatorFallback: true,
  },
  agent: {
    needs: ["tools", "streaming"],
    allowCustom: true,
    routes: [
      { provider: "openrouter", model: "openai/gpt-4.1-mini" },
      { provider: "gemini", model: "gemini-2.5-flash" },
    ],
  },
  embed: {
    needs: ["embeddings"],
    allowCustom: true,
    routes: [
      { provider: "openai", model: "text-embedding-3-small" },
      { provider: "gemini", model: "gemini-embedding-001" },
    ],
  },
  premium: {
    routes: [{ provider: "openai", model: "gpt-4.1" }],
    operatorFallback: false,
  },
};

export interface ModelGatewayOptions extends StartGatewayOptions {
  readonly features?: GatewayConfigInput["features"];
  readonly fakeOptions?: Partial<Record<FakeProviderId, FakeProviderOptions>>;
}

let userCounter = 0;

export async function startModelGateway(options: ModelGatewayOptions = {}): Promise<ModelGateway> {
  const fakes = {
    openai: await startFakeOpenAiProvider(options.fakeOptions?.openai),
    openrouter: await startFakeOpenAiProvider({ prefix: "/api/v1", ...options.fakeOptions?.openrouter }),
    gemini: await startFakeOpenAiProvider({ prefix: "/v1beta/openai", ...options.fakeOptions?.gemini }),
    custom: await startFakeOpenAiProvider(options.fakeOptions?.custom),
  };
  const gateway = await startGateway({
    ...options,
    config: {
      providers: {
        openai: { baseUrl: fakes.openai.baseUrl, apiKey: OPERATOR_KEYS.openai },
        openrouter: { baseUrl: fakes.openrouter.baseUrl, apiKey: OPERATOR_KEYS.openrouter },
        gemini: { baseUrl: fakes.gemini.baseUrl, apiKey: OPERATOR_KEYS.gemini },
      },
      features: options.features ?? TEST_FEATURES,
      // The custom fake listens on loopback: the operator allows exactly that, over plain http.
      egress: { allowCidrs: ["127.0.0.1/32"], allowHttpHosts: ["127.0.0.1"] },
      ...options.config,
    },
  });
  return {
    gateway,
    fakes,
    async user(keys = {}, custom) {
      userCounter += 1;
      const id = `user-${userCounter}-${Date.now().toString(36)}`;
      const token = await addUser(gateway, id);
      if (Object.keys(keys).length > 0) {
        const enrolled = await enroll(gateway, token, keys, custom);
        if (enrolled.status !== 200) throw new Error(`enroll failed: ${enrolled.status} ${enrolled.text}`);
      }
      const headers: Record<string, string> = {};
      for (const [provider, key] of Object.entries(keys)) headers[`x-byok-${provider}`] = key;
      return {
        id,
        token,
        headers,
        openai: new OpenAI({
          baseURL: `${gateway.url}/v1`,
          apiKey: token,
          defaultHeaders: headers,
          maxRetries: 0,
        }),
      };
    },
    async close() {
      await gateway.close();
      await Promise.all(Object.values(fakes).map((fake) => fake.close()));
    },
  };
}

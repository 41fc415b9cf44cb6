/**
 * @module test/support/responses-gateway
 * A gateway for the Responses API tests: the fake OpenAI provider (which speaks `/responses`) and the fake
 * Anthropic one, OpenAI- and Anthropic-routed features on operator and user keys, a metered plan, and
 * users holding the official `openai` SDK.
 */
import OpenAI from "openai";
import type { GatewayConfigInput } from "../../src/config/index.ts";
import { type FakeAnthropicProvider, startFakeAnthropicProvider } from "../peers/fake-anthropic-provider.ts";
import { type FakeProvider, startFakeOpenAiProvider } from "../peers/fake-openai-provider.ts";
import { ANTHROPIC_OPERATOR_KEY, CLAUDE_MODEL } from "./anthropic-gateway.ts";
import { addUser, enroll } from "./gateway-client.ts";
import { OPERATOR_KEYS } from "./model-gateway.ts";
import { startGateway, type TestGateway } from "./start-gateway.ts";

export const GPT_MODEL = "gpt-4.1-mini";
export const OPENAI_USER_KEY = "sk-user-openai-responses-2222222222";
export const ANTHROPIC_USER_KEY = "sk-ant-user-responses-33333333333333";

export const RESPONSES_FEATURES: NonNullable<GatewayConfigInput["features"]> = {
  gpt: {
    routes: [{ provider: "openai", model: GPT_MODEL, params: { temperature: 0.2 } }],
    operatorFallback: true,
  },
  gpt_byok: { routes: [{ provider: "openai", model: GPT_MODEL }], operatorFallback: false },
  claude: { routes: [{ provider: "anthropic", model: CLAUDE_MODEL }], operatorFallback: true },
};

/** A plan whose daily token limit a few calls fit in. */
export const METERED_PLAN = "metered";
export const METERED_TOKENS = 2000;

export interface ResponsesUser {
  readonly id: string;
  readonly token: string;
  readonly headers: Record<string, string>;
  readonly openai: OpenAI;
}

export interface ResponsesGateway {
  readonly gateway: TestGateway;
  readonly openai: FakeProvider;
  readonly anthropic: FakeAnthropicProvider;
  user(keys?: Record<string, string>, plan?: string): Promise<ResponsesUser>;
  close(): Promise<void>;
}

let userCounter = 0;

export async function startResponsesGateway(config: GatewayConfigInput = {}): Promise<ResponsesGateway> {
  const openai = await startFakeOpenAiProvider();
  const anthropic = await startFakeAnthropicProvider();
  const gateway = await startGateway({
    config: {
      providers: {
        openai: { baseUrl: openai.baseUrl, apiKey: OPERATOR_KEYS.openai },
        anthropic: { baseUrl: anthropic.origin, apiKey: ANTHROPIC_OPERATOR_KEY },
      },
      features: RESPONSES_FEATURES,
      plans: { [METERED_PLAN]: { limits: [{ meter: "tokens", period: "day", limit: METERED_TOKENS }] } },
      ...config,
    },
  });
  return {
    gateway,
    openai,
    anthropic,
    async user(keys = {}, plan) {
      userCounter += 1;
      const id = `responses-user-${userCounter}-${Date.now().toString(36)}`;
      const token = await addUser(gateway, id, plan);
      if (Object.keys(keys).length > 0) {
        const enrolled = await enroll(gateway, token, keys);
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
      await Promise.all([openai.close(), anthropic.close()]);
    },
  };
}

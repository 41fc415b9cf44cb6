/**
 * @module test/browser/support/settings-gateway
 * A real gateway with loopback fake providers (openai answers 200, anthropic 401, gemini 503, a custom
 * OpenAI-compatible endpoint), a plan with limits, and a recording origin the browser opens.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { GatewayConfigInput } from "../../../src/config/index.ts";
import { type FakeProvider, startFakeOpenAiProvider } from "../../peers/fake-openai-provider.ts";
import { addUser, call } from "../../support/gateway-client.ts";
import { startGateway, type TestGateway } from "../../support/start-gateway.ts";
import { CLIENT_DIST, type RecordingOrigin, startRecordingOrigin } from "./recording-origin.ts";
import { type StatusProvider, startStatusProvider } from "./status-provider.ts";

export const OPERATOR_OPENAI_KEY = "sk-operator-openai-0000000000000000";

/** The user's raw keys the browser types; each unique so a search for it finds nothing else. */
export const USER_KEYS = {
  openai: "sk-user-openai-7f3a9c1e5b2d4086aa11",
  anthropic: "sk-ant-user-anthropic-41c2e8d07b9f3a65",
  gemini: "AIza-user-gemini-93d1b7f2c6e0a8451",
  custom: "sk-user-custom-2b8e6f0d4a1c9375ee",
} as const;

const FEATURES: NonNullable<GatewayConfigInput["features"]> = {
  summary: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }], operatorFallback: true },
  agent: {
    allowCustom: true,
    routes: [
      { provider: "anthropic", model: "claude-sonnet-4-5" },
      { provider: "gemini", model: "gemini-2.5-flash" },
    ],
    operatorFallback: false,
  },
  search: { needs: ["embeddings"], routes: [{ provider: "openai", model: "text-embedding-3-small" }] },
};

export interface SettingsGateway {
  readonly gateway: TestGateway;
  readonly origin: RecordingOrigin;
  readonly openai: FakeProvider;
  readonly custom: FakeProvider;
  readonly anthropic: StatusProvider;
  readonly gemini: StatusProvider;
  /** A new user; answers the gateway token. */
  user(): Promise<{ id: string; token: string }>;
  close(): Promise<void>;
}

let users = 0;

export async function startSettingsGateway(): Promise<SettingsGateway> {
  if (!existsSync(join(CLIENT_DIST, "settings.js"))) {
    throw new Error("dist/client/ is missing: run `npm run build:client` first (npm test does it)");
  }
  const openai = await startFakeOpenAiProvider();
  const custom = await startFakeOpenAiProvider();
  const anthropic = await startStatusProvider(401, "invalid x-api-key");
  const gemini = await startStatusProvider(503, "The service is currently unavailable.");
  const gateway = await startGateway({
    config: {
      providers: {
        openai: { baseUrl: openai.baseUrl, apiKey: OPERATOR_OPENAI_KEY },
        anthropic: { baseUrl: anthropic.baseUrl },
        gemini: { baseUrl: gemini.baseUrl },
      },
      features: FEATURES,
      plans: {
        free: {
          limits: [
            { meter: "requests", period: "month", limit: 30, group: "chat" },
            { meter: "tokens", period: "month", limit: 20000 },
          ],
        },
      },
      defaultPlan: "free",
      egress: { allowCidrs: ["127.0.0.1/32"], allowHttpHosts: ["127.0.0.1"] },
    },
  });
  const origin = await startRecordingOrigin(gateway.url);
  return {
    gateway,
    origin,
    openai,
    custom,
    anthropic,
    gemini,
    async user() {
      users += 1;
      const id = `browser-${users}-${Date.now().toString(36)}`;
      return { id, token: await addUser(gateway, id) };
    },
    async close() {
      await origin.close();
      await gateway.close();
      await Promise.all([openai.close(), custom.close(), anthropic.close(), gemini.close()]);
    },
  };
}

/** The user's enrollment as the gateway reports it (GET /v1/byok/enrollment with their token). */
export async function enrollmentOf(settings: SettingsGateway, token: string) {
  const answer = await call(settings.gateway, "GET", "/v1/byok/enrollment", { token });
  return answer.body as { active: boolean; providers: string[]; custom: { baseUrl: string } | null };
}

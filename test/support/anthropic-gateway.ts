/** @module test/support/anthropic-gateway
 * A gateway with a loopback fake Anthropic next to the OpenAI-compatible fakes, Anthropic-routed features, users
 * holding both SDKs, and helpers to read the requests a fake received and the raw SSE events a stream carried.
 */
import assert from "node:assert/strict";
import { request as httpRequest, type ServerResponse } from "node:http";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import type { GatewayConfigInput } from "../../src/config/index.ts";
import {
  type FakeAnthropicOptions,
  type FakeAnthropicProvider,
  startFakeAnthropicProvider,
} from "../peers/fake-anthropic-provider.ts";
import { type RecordedRequest, startFakeOpenAiProvider } from "../peers/fake-openai-provider.ts";
import { addUser, call, enroll } from "./gateway-client.ts";
import type { FakeProviderId, ModelGateway } from "./model-gateway.ts";
import { OPERATOR_KEYS } from "./model-gateway.ts";
import { type StartGatewayOptions, startGateway } from "./start-gateway.ts";

export const CLAUDE_MODEL = "claude-fake-1";
export const ANTHROPIC_OPERATOR_KEY = "sk-ant-operator-0000000000000000000000";
export const ANTHROPIC_USER_KEY = "sk-ant-user-1111111111111111111111111";
export const OPENAI_USER_KEY = "sk-user-openai-1111111111111111";
export const CUSTOM_USER_KEY = "sk-user-custom-4444444444444444";
export const CUSTOM_MODEL = "my-model";

/** Anthropic-routed features (cache on, cache off, BYOK-only), an OpenAI-routed one and a custom-only one. */
export const ANTHROPIC_FEATURES: NonNullable<GatewayConfigInput["features"]> = {
  claude: { routes: [{ provider: "anthropic", model: CLAUDE_MODEL }], operatorFallback: true },
  claude_nocache: {
    routes: [{ provider: "anthropic", model: CLAUDE_MODEL }],
    promptCacheKey: "off",
    operatorFallback: true,
  },
  claude_byok: { routes: [{ provider: "anthropic", model: CLAUDE_MODEL }], operatorFallback: false },
  gpt: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }], operatorFallback: true },
  custom_only: { allowCustom: true, routes: [], operatorFallback: false },
};

export interface AnthropicGatewayUser {
  readonly id: string;
  readonly token: string;
  /** X-BYOK-* headers carrying the user's raw keys. */
  readonly headers: Record<string, string>;
  readonly openai: OpenAI;
  /** The official Anthropic SDK pointed at the gateway's origin, the gateway token in `x-api-key`. */
  readonly anthropic: Anthropic;
}

export interface AnthropicGateway extends Omit<ModelGateway, "user"> {
  readonly anthropic: FakeAnthropicProvider;
  user(
    keys?: Record<string, string>,
    custom?: { baseUrl: string; model?: string },
  ): Promise<AnthropicGatewayUser>;
}

export interface AnthropicGatewayOptions {
  readonly features?: GatewayConfigInput["features"];
  readonly anthropicOptions?: FakeAnthropicOptions;
  /** Replaces the egress section (by default loopback is allowed over plain http, for the custom fake). */
  readonly egress?: GatewayConfigInput["egress"];
  readonly egressResolver?: StartGatewayOptions["egressResolver"];
  /** The operator's plans (none by default: unlimited). */
  readonly plans?: GatewayConfigInput["plans"];
}

let userCounter = 0;

export async function startAnthropicGateway(
  options: AnthropicGatewayOptions = {},
): Promise<AnthropicGateway> {
  const anthropic = await startFakeAnthropicProvider(options.anthropicOptions);
  const fakes = {
    openai: await startFakeOpenAiProvider(),
    openrouter: await startFakeOpenAiProvider({ prefix: "/api/v1" }),
    gemini: await startFakeOpenAiProvider({ prefix: "/v1beta/openai" }),
    custom: await startFakeOpenAiProvider(),
  } satisfies Record<FakeProviderId, unknown>;
  const gateway = await startGateway({
    config: {
      providers: {
        openai: { baseUrl: fakes.openai.baseUrl, apiKey: OPERATOR_KEYS.openai },
        openrouter: { baseUrl: fakes.openrouter.baseUrl, apiKey: OPERATOR_KEYS.openrouter },
        gemini: { baseUrl: fakes.gemini.baseUrl, apiKey: OPERATOR_KEYS.gemini },
        anthropic: { baseUrl: anthropic.origin, apiKey: ANTHROPIC_OPERATOR_KEY },
      },
      features: options.features ?? ANTHROPIC_FEATURES,
      egress: options.egress ?? { allowCidrs: ["127.0.0.1/32"], allowHttpHosts: ["127.0.0.1"] },
      ...(options.plans ? { plans: options.plans } : {}),
    },
    ...(options.egressResolver ? { egressResolver: options.egressResolver } : {}),
  });
  return {
    gateway,
    fakes,
    anthropic,
    async user(keys = {}, custom) {
      userCounter += 1;
      const id = `ant-user-${userCounter}-${Date.now().toString(36)}`;
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
        anthropic: new Anthropic({
          baseURL: gateway.url,
          apiKey: token,
          defaultHeaders: headers,
          maxRetries: 0,
        }),
      };
    },
    async close() {
      await gateway.close();
      await Promise.all([anthropic, ...Object.values(fakes)].map((fake) => fake.close()));
    },
  };
}

/** Runs `action` and returns its result with the requests `fake` received meanwhile (tests of a file run in turn). */
export async function withRequests<T>(
  fake: { readonly requests: RecordedRequest[] },
  action: () => Promise<T>,
): Promise<{ readonly result: T; readonly requests: RecordedRequest[] }> {
  const before = fake.requests.length;
  const result = await action();
  return { result, requests: fake.requests.slice(before) };
}

/** The one request `fake` received during `action`. */
export async function withOneRequest<T>(
  fake: { readonly requests: RecordedRequest[] },
  action: () => Promise<T>,
): Promise<{
  readonly result: T;
  readonly upstream: RecordedRequest;
  readonly body: Record<string, unknown>;
}> {
  const { result, requests } = await withRequests(fake, action);
  assert.equal(requests.length, 1, "the fake received exactly one request");
  const upstream = requests[0]!;
  assert.ok(typeof upstream.body === "object" && upstream.body !== null, "a JSON body");
  return { result, upstream, body: upstream.body as Record<string, unknown> };
}

export interface SseEvent {
  readonly event: string | null;
  readonly data: unknown;
}

/** Every SSE block of `text` as its `event:` name (null when missing) and parsed `data:` JSON. */
export function sseEvents(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of text.replace(/\r\n?/g, "\n").split(/\n\n+/)) {
    const lines = block.split("\n").filter((line) => line !== "" && !line.startsWith(":"));
    const data = lines.filter((line) => line.startsWith("data:")).map((line) => line.slice(5).trimStart());
    if (data.length === 0) continue;
    const name =
      lines
        .find((line) => line.startsWith("event:"))
        ?.slice(6)
        .trim() ?? null;
    events.push({ event: name, data: JSON.parse(data.join("\n")) as unknown });
  }
  return events;
}

/** POSTs JSON to the gateway and returns the status and raw text (for SSE and envelope checks). */
export async function postRaw(
  env: AnthropicGateway,
  path: string,
  headers: Record<string, string>,
  body: unknown,
): Promise<{ status: number; headers: Headers; text: string; json: unknown }> {
  const response = await call(env.gateway, "POST", path, { headers, body });
  return { status: response.status, headers: response.headers, text: response.text, json: response.body };
}

/** The headers the Anthropic SDK would send for this user: the gateway token in `x-api-key`, the keys, the version. */
export function anthropicHeaders(user: AnthropicGatewayUser): Record<string, string> {
  return { "x-api-key": user.token, "anthropic-version": "2023-06-01", ...user.headers };
}

/** The client with a fetch that keeps the last response's headers (the stream helper has no `withResponse`). */
export function capturingHeaders(client: OpenAI): {
  readonly client: OpenAI;
  readonly headers: () => Headers;
} {
  let last: Headers | undefined;
  const wrapped = client.withOptions({
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      last = response.headers;
      return response;
    },
  });
  return {
    client: wrapped,
    headers: () => {
      assert.ok(last, "a response arrived");
      return last;
    },
  };
}

/**
 * POSTs a streaming request on a socket of its own (node:http, no pool) and resolves with the first body bytes;
 * `leave()` destroys the socket as a client that goes away does. (Aborting a pooled `fetch` instead makes its
 * pool open a spare connection that never sends a request, which holds the gateway's close for about 70 s.)
 */
export function openStream(
  url: string,
  headers: Record<string, string>,
  body: unknown,
): Promise<{ status: number; first: Buffer; leave: () => void }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, {
      method: "POST",
      agent: false,
      headers: { "content-type": "application/json", ...headers },
    });
    request.on("error", reject);
    request.on("response", (response) => {
      response.once("data", (first: Buffer) =>
        resolve({ status: response.statusCode ?? 0, first, leave: () => request.destroy() }),
      );
    });
    request.end(JSON.stringify(body));
  });
}

/** Writes one Anthropic SSE event. */
export function writeAnthropicEvent(
  res: ServerResponse,
  data: { readonly type: string; readonly [field: string]: unknown },
): void {
  res.write(`event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** A deferred promise: the test resolves it when it has seen what it waits for. */
export interface Deferred {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
}

export function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/**
 * @module test/support/listen-gateway
 * A gateway whose Deepgram points at the loopback fake (REST and live), with transcription features,
 * users enrolled with raw keys, the official `@deepgram/sdk` pointed at the gateway and a raw `ws` opener.
 */
import { DeepgramClient } from "@deepgram/sdk";
import { WebSocket } from "ws";
import type { GatewayConfigInput } from "../../src/config/index.ts";
import {
  type FakeDeepgram,
  type LiveConnection,
  type RecordedListen,
  startFakeDeepgram,
} from "../peers/fake-deepgram-provider.ts";
import { addUser, enroll } from "./gateway-client.ts";
import { type StartGatewayOptions, startGateway, type TestGateway } from "./start-gateway.ts";

export const OPERATOR_DEEPGRAM_KEY = "dg-operator-key-00000000000000000000";
/** The chat key every test user also enrolls (a Deepgram-only enrollment is refused by default). */
export const USER_OPENAI_KEY = "sk-user-openai-listen-000000000000000";

export const LISTEN_FEATURES: NonNullable<GatewayConfigInput["features"]> = {
  transcription: { routes: [{ provider: "deepgram", model: "nova-3", params: { smart_format: true } }] },
  meeting_notes: {
    needs: ["stt"],
    routes: [{ provider: "deepgram", model: "nova-3-meeting" }],
    operatorFallback: false,
  },
  summary: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }] },
};

export interface ListenUser {
  readonly id: string;
  readonly token: string;
  /** X-BYOK-* headers with the user's raw keys. */
  readonly headers: Record<string, string>;
  /** The official Deepgram SDK pointed at the gateway: the gateway token as its key, the user's keys as headers. */
  readonly deepgram: DeepgramClient;
}

export interface ListenGateway {
  readonly gateway: TestGateway;
  readonly fake: FakeDeepgram;
  /** The gateway's live URL: ws://…/v1/listen */
  readonly liveUrl: string;
  /** A new user with a token; enrolled (openai + the given keys) when `keys` is given. */
  user(keys?: Record<string, string> | null, plan?: string): Promise<ListenUser>;
  close(): Promise<void>;
}

export interface ListenGatewayOptions extends StartGatewayOptions {
  /** The operator's Deepgram key (default OPERATOR_DEEPGRAM_KEY), or false for none. */
  readonly operatorKey?: string | false;
  readonly fakeKeys?: readonly string[];
  /** The fake's delay before every live server message (a slow provider). */
  readonly fakeReplyDelayMs?: number;
}

let counter = 0;

export async function startListenGateway(options: ListenGatewayOptions = {}): Promise<ListenGateway> {
  const fake = await startFakeDeepgram({
    ...(options.fakeKeys ? { keys: options.fakeKeys } : {}),
    ...(options.fakeReplyDelayMs ? { liveReplyDelayMs: options.fakeReplyDelayMs } : {}),
  });
  const gateway = await startGateway({
    ...options,
    config: {
      features: LISTEN_FEATURES,
      ...options.config,
      providers: {
        openai: { baseUrl: "http://127.0.0.1:9/v1" },
        ...options.config?.providers,
        deepgram: {
          baseUrl: fake.origin,
          liveBaseUrl: fake.wsOrigin,
          ...(options.operatorKey === false ? {} : { apiKey: options.operatorKey ?? OPERATOR_DEEPGRAM_KEY }),
          ...options.config?.providers?.deepgram,
        },
      },
    },
  });
  return {
    gateway,
    fake,
    liveUrl: `${gateway.url.replace(/^http/, "ws")}/v1/listen`,
    async user(keys = null, plan) {
      counter += 1;
      const id = `listener-${counter}-${Date.now().toString(36)}`;
      const token = await addUser(gateway, id, plan);
      const all: Record<string, string> = keys === null ? {} : { openai: USER_OPENAI_KEY, ...keys };
      if (keys !== null) {
        const enrolled = await enroll(gateway, token, all);
        if (enrolled.status !== 200) throw new Error(`enroll failed: ${enrolled.status} ${enrolled.text}`);
      }
      const headers: Record<string, string> = {};
      for (const [provider, key] of Object.entries(all)) headers[`x-byok-${provider}`] = key;
      return {
        id,
        token,
        headers,
        deepgram: new DeepgramClient({ apiKey: token, baseUrl: gateway.url, headers, maxRetries: 0 }),
      };
    },
    async close() {
      await gateway.close();
      await fake.close();
    },
  };
}

/** The fake's record of the next upload (call it before the request is sent; earlier records are skipped). */
export function nextUpload(env: ListenGateway): Promise<RecordedListen> {
  const index = env.fake.rest.length;
  const claim = async (): Promise<RecordedListen> => {
    const record = await env.fake.nextRest();
    return env.fake.rest.indexOf(record) >= index ? record : claim();
  };
  return claim();
}

/** The fake's record of the next live connection (call it before the socket is opened). */
export function nextConnection(env: ListenGateway): Promise<LiveConnection> {
  const index = env.fake.live.length;
  const claim = async (): Promise<LiveConnection> => {
    const connection = await env.fake.nextLiveConnection();
    return env.fake.live.indexOf(connection) >= index ? connection : claim();
  };
  return claim();
}

export interface RawLive {
  readonly ws: WebSocket;
  /** Every message received, parsed (text frames are JSON). */
  readonly messages: Array<Record<string, unknown>>;
  readonly closed: Promise<{ code: number; reason: string }>;
  /** The 101 response's headers. */
  readonly upgradeHeaders: Record<string, string | string[] | undefined>;
  /** Resolves once `predicate(messages)` holds; rejects if the socket closes first. */
  until(predicate: (messages: Array<Record<string, unknown>>) => boolean): Promise<void>;
}

/** Opens the gateway's live socket with `ws` (query and headers as given, repeats too; no SDK, no reconnects). */
export function openLive(
  url: string,
  query: Record<string, string> | URLSearchParams,
  headers: Record<string, string>,
  options: { readonly autoPong?: boolean } = {},
): Promise<RawLive> {
  const target = `${url}?${new URLSearchParams(query)}`;
  const ws = new WebSocket(target, { headers, ...options });
  const messages: Array<Record<string, unknown>> = [];
  const waiting: Array<{
    predicate: (m: typeof messages) => boolean;
    resolve: () => void;
    reject: (e: Error) => void;
  }> = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on("close", (code, reason) => {
      for (const waiter of waiting.splice(0)) waiter.reject(new Error(`closed ${code} ${reason}`));
      resolve({ code, reason: reason.toString("utf8") });
    });
  });
  ws.on("message", (data, isBinary) => {
    if (isBinary) return;
    messages.push(JSON.parse(String(data)) as Record<string, unknown>);
    for (let i = waiting.length - 1; i >= 0; i--) {
      if (waiting[i]!.predicate(messages)) waiting.splice(i, 1)[0]!.resolve();
    }
  });
  let upgradeHeaders: RawLive["upgradeHeaders"] = {};
  ws.once("upgrade", (response) => {
    upgradeHeaders = response.headers;
  });
  const live: RawLive = {
    ws,
    messages,
    closed,
    get upgradeHeaders() {
      return upgradeHeaders;
    },
    until(predicate) {
      if (predicate(messages)) return Promise.resolve();
      if (ws.readyState === WebSocket.CLOSED) return Promise.reject(new Error("closed"));
      return new Promise((resolve, reject) => waiting.push({ predicate, resolve, reject }));
    },
  };
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve(live));
    ws.once("unexpected-response", (request, response) => {
      request.destroy();
      reject(new Error(`unexpected response ${response.statusCode}`));
    });
    ws.once("error", reject);
  });
}

/**
 * @module test/support/start-replicas
 * Gateway replicas in their own processes sharing one PostgreSQL schema and one Redis key prefix (random per run).
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import type { GatewayConfigInput } from "../../src/config/index.ts";
import { computeFingerprint } from "../../src/keys/index.ts";
import { type FakeDeepgram, startFakeDeepgram } from "../peers/fake-deepgram-provider.ts";
import { type FakeProvider, startFakeOpenAiProvider } from "../peers/fake-openai-provider.ts";
import { MAIN } from "./run-cli.ts";
import { type SpawnedGateway, spawnGateway } from "./spawn-gateway.ts";
import { ADMIN_TOKEN, createTempDir, TEST_PEPPER } from "./start-gateway.ts";
import { openQuotaFence, openTestRedis, type TestRedis } from "./test-redis.ts";

export const POSTGRES_URL = process.env.BYOK_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const POSTGRES_HINT = "start it with: pg_ctlcluster --skip-systemctl-redirect 15 main start";
export const OPERATOR_OPENAI_KEY = "sk-operator-openai-0000000000000000";
export const OPERATOR_DEEPGRAM_KEY = "dg-operator-key-00000000000000000000";

/** Features every replica serves: chat on OpenAI (operator fallback on), transcription on Deepgram. */
export const REPLICA_FEATURES: NonNullable<GatewayConfigInput["features"]> = {
  chat: { routes: [{ provider: "openai", model: "gpt-4o-mini" }], operatorFallback: true },
  transcription: { needs: ["stt"], routes: [{ provider: "deepgram", model: "nova-3" }] },
};

export interface JsonAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

export interface Replicas {
  /** Replica A, B, C… in order. */
  readonly replicas: readonly SpawnedGateway[];
  readonly openai: FakeProvider;
  readonly deepgram: FakeDeepgram;
  readonly redis: TestRedis;
  /** The PostgreSQL schema every replica shares (dropped on close). */
  readonly schema: string;
  /** One JSON call to one replica. */
  call(
    replica: SpawnedGateway,
    method: string,
    path: string,
    options?: { token?: string; headers?: Record<string, string>; body?: unknown },
  ): Promise<JsonAnswer>;
  /** A new user (through replica A's admin API); resolves with its token. */
  addUser(id: string, plan?: string): Promise<string>;
  /** Enrolls the fingerprints of raw keys for a user (through the given replica). */
  enroll(replica: SpawnedGateway, token: string, keys: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

export interface StartReplicasOptions {
  readonly count?: number;
  /** Merged over the shared config, section by section (features, plans, rateLimits, metering…). */
  readonly config?: Partial<Record<keyof GatewayConfigInput, unknown>>;
}

async function checkPostgres(): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("select 1");
  } catch (error) {
    throw new Error(`PostgreSQL is not reachable at ${POSTGRES_URL} (${String(error)}); ${POSTGRES_HINT}`);
  } finally {
    await client.end().catch(() => {});
  }
}

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}

function mergeSections(base: Record<string, unknown>, over: Record<string, unknown>) {
  const merged: Record<string, unknown> = { ...base };
  const plain = (item: unknown): item is Record<string, unknown> =>
    typeof item === "object" && item !== null && !Array.isArray(item);
  for (const [key, value] of Object.entries(over)) {
    const current = merged[key];
    merged[key] = plain(current) && plain(value) ? { ...current, ...value } : value;
  }
  return merged;
}

async function callReplica(
  replica: SpawnedGateway,
  method: string,
  path: string,
  options: { token?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<JsonAnswer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] = "application/json";
  }
  const response = await fetch(`${replica.url}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text === "" ? null : JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

export async function startReplicas(options: StartReplicasOptions = {}): Promise<Replicas> {
  await checkPostgres();
  const schema = `byok_scale_${randomBytes(6).toString("hex")}`;
  const redis = await openTestRedis();
  await openQuotaFence(redis.client, redis.prefix);
  const openai = await startFakeOpenAiProvider();
  const deepgram = await startFakeDeepgram();
  const dir = createTempDir("byok-replicas-");
  const replicas: SpawnedGateway[] = [];
  const close = async () => {
    await Promise.all(replicas.map((replica) => replica.stop("SIGTERM")));
    await Promise.all([openai.close(), deepgram.close()]);
    await dropSchema(schema);
    await redis.close();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const shared = mergeSections(
      {
        pepper: TEST_PEPPER,
        adminToken: ADMIN_TOKEN,
        log: { level: "info" },
        // Calls still open when the fleet closes are cut soon (the tests hold some on purpose).
        server: { shutdownTimeoutMs: 500 },
        storage: { postgres: { url: POSTGRES_URL, schema, poolMax: 5 } },
        // Generous command time-outs: three gateways, the tests and other suites share two cores here, and
        // an event loop that lags past the default (500 ms) turns a slow answer into quota_unavailable.
        redis: { url: redis.url, keyPrefix: redis.prefix, commandTimeoutMs: 5000 },
        providers: {
          openai: { baseUrl: openai.baseUrl, apiKey: OPERATOR_OPENAI_KEY },
          deepgram: {
            baseUrl: deepgram.origin,
            liveBaseUrl: deepgram.wsOrigin,
            apiKey: OPERATOR_DEEPGRAM_KEY,
          },
        },
        features: REPLICA_FEATURES,
        metering: { flushIntervalMs: 20 },
      },
      options.config ?? {},
    );
    const names = ["a", "b", "c", "d", "e"].slice(0, options.count ?? 3);
    // All at once, as a fleet rolls out: the migrations' advisory lock lets one of them run them.
    const started = await Promise.allSettled(
      names.map((name) => {
        const file = join(dir, `replica-${name}.json`);
        writeFileSync(file, JSON.stringify({ ...shared, dataDir: join(dir, `data-${name}`) }));
        return spawnGateway({
          args: [MAIN, "serve", "--config", file],
          env: { BYOK_HOST: "127.0.0.1", BYOK_PORT: "0" },
        });
      }),
    );
    for (const result of started) if (result.status === "fulfilled") replicas.push(result.value);
    const failed = started.find((result) => result.status === "rejected");
    if (failed !== undefined) throw failed.reason;
  } catch (error) {
    await close();
    throw error;
  }

  return {
    replicas,
    openai,
    deepgram,
    redis,
    schema,
    call: callReplica,
    async addUser(id, plan) {
      const answer = await callReplica(replicas[0]!, "POST", "/admin/users", {
        token: ADMIN_TOKEN,
        body: plan === undefined ? { id } : { id, plan },
      });
      if (answer.status !== 201) throw new Error(`addUser: ${answer.status} ${JSON.stringify(answer.body)}`);
      return (answer.body as { token: string }).token;
    },
    async enroll(replica, token, keys) {
      const fingerprints = Object.fromEntries(
        Object.entries(keys).map(([provider, key]) => [provider, computeFingerprint(key)]),
      );
      const answer = await callReplica(replica, "PUT", "/v1/byok/enrollment", {
        token,
        body: { fingerprints },
      });
      if (answer.status !== 200) throw new Error(`enroll: ${answer.status} ${JSON.stringify(answer.body)}`);
    },
    close,
  };
}

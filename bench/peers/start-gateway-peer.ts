/**
 * @module bench/peers/start-gateway-peer
 * The gateway as operators run it: `npm run build`, then `node dist/main.js serve --config <file>` in front
 * of the fake provider, with a user and an enrolled OpenAI key created over the admin and enrollment APIs.
 */
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { computeFingerprint } from "../../src/keys/index.ts";
import { cpuMicrosOf, type Peer } from "./start-peer.ts";

const ownRoot = fileURLToPath(new URL("../../", import.meta.url));
export const USER_KEY = "sk-user-bench-key-0123456789";
const ADMIN_TOKEN = "bench-admin-token-0123456789";

async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, "close");
  return port;
}

async function json(url: string, init: RequestInit): Promise<Record<string, unknown>> {
  const response = await fetch(url, init);
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${init.method} ${url} → ${response.status} ${JSON.stringify(body)}`);
  return body;
}

/** Peak RSS of a process from Linux's /proc (VmHWM), in KiB. */
function peakRssKiB(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (match === null) throw new Error(`no VmHWM for pid ${pid}`);
  return Number(match[1]);
}

const built = new Set<string>();

/** `npm run build` once per bench run and checkout (every gateway target of one checkout runs the same build). */
function buildOnce(root: string): void {
  if (built.has(root)) return;
  const build = spawnSync(
    process.execPath,
    [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"],
    {
      cwd: root,
      stdio: "inherit",
    },
  );
  if (build.status !== 0) throw new Error("npm run build failed");
  built.add(root);
}

export interface GatewayPeerOptions {
  /** Usage records and rate limits on (the default), or both off: the bench's metering comparison. */
  readonly metering?: boolean;
  /** `serve --workers N` (default 1: one process, no cluster). */
  readonly workers?: number;
  /** Calls served on the operator's key (quota admission) instead of the user's own (BYOK). */
  readonly operatorServed?: boolean;
  /** More config, merged over the rest at the top level (e.g. `redis`). */
  readonly config?: Readonly<Record<string, unknown>>;
  /**
   * Another checkout to build and run instead of this one (the before of a before/after, in the same run),
   * with the NODE_OPTIONS its own docs/deployment.md prescribed.
   */
  readonly baseline?: { readonly root: string; readonly nodeOptions: string };
  /**
   * Node's own flags before the script (`--heap-growing-percent=50`: V8 options NODE_OPTIONS refuses); by
   * default those of BENCH_GATEWAY_NODE_ARGS (`BENCH_GATEWAY_NODE_ARGS=--heap-growing-percent=0 npm run bench -- streams`).
   */
  readonly nodeArgs?: readonly string[];
}

/** The live child processes of `pid` (a cluster primary's workers), from Linux's /proc. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").split(" ").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** CPU time of a process and its live children (a primary and its workers), in µs. */
function treeCpuMicros(pid: number): number {
  let total = cpuMicrosOf(pid);
  for (const child of childPids(pid)) {
    try {
      total += cpuMicrosOf(child);
    } catch {
      // exited between the listing and the read
    }
  }
  return total;
}

export async function startGatewayPeer(
  name: string,
  fakeOrigin: string,
  options: GatewayPeerOptions = {},
): Promise<Peer> {
  const metering = options.metering ?? true;
  const workers = options.workers ?? 1;
  const root = options.baseline?.root ?? ownRoot;
  buildOnce(root);
  const dataDir = mkdtempSync(join(tmpdir(), "byok-proxy-bench-"));
  const port = await freePort();
  const configFile = join(dataDir, "config.json");
  writeFileSync(
    configFile,
    JSON.stringify({
      pepper: "bench-pepper-0123456789abcdef-0123456789abcdef",
      dataDir,
      log: { level: "warn" },
      adminToken: ADMIN_TOKEN,
      server: { port, host: "127.0.0.1" },
      providers: { openai: { baseUrl: `${fakeOrigin}/v1`, apiKey: "sk-operator-bench" } },
      features: {
        chat: {
          routes: [{ provider: "openai", model: "gpt-4.1-mini" }],
          ...(options.operatorServed ? { operatorFallback: true } : {}),
        },
      },
      // Metering on: every call recorded, rate limits checked (high enough never to refuse), a plan in
      // force. Off: no records, no rate limits.
      ...(metering
        ? {
            plans: { free: { limits: [{ meter: "requests", period: "month", limit: 1_000_000_000 }] } },
            defaultPlan: "free",
            rateLimits: { requestsPerMinute: 1_000_000_000, concurrentStreams: 1_000_000 },
          }
        : {
            metering: { enabled: false },
            rateLimits: { requestsPerMinute: 0, concurrentStreams: 0, anonymousRequestsPerMinute: 0 },
          }),
      ...options.config,
    }),
  );
  // Started exactly as operators start it: the runtime defaults come from its own start path
  // (cli/apply-runtime-defaults.ts). BENCH_GATEWAY_NODE_OPTIONS is passed as NODE_OPTIONS, to profile
  // (`--cpu-prof --cpu-prof-dir=…`) or to measure other V8 settings (`--max-semi-space-size=16`).
  const extra = process.env.BENCH_GATEWAY_NODE_OPTIONS ?? options.baseline?.nodeOptions;
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? (process.env.BENCH_GATEWAY_NODE_ARGS ?? "").split(/\s+/).filter(Boolean)),
      join(root, "dist/main.js"),
      "serve",
      "--config",
      configFile,
      "--workers",
      `${workers}`,
    ],
    {
      stdio: ["ignore", "inherit", "inherit"],
      env: extra === undefined ? process.env : { ...process.env, NODE_OPTIONS: extra },
    },
  );
  const origin = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    for (let attempt = 0; ; attempt++) {
      const healthy = await fetch(`${origin}/healthz`).then(
        (response) => response.ok,
        () => false,
      );
      // A cluster answers once its first worker listens: wait for every worker to be forked too.
      if (healthy && (workers === 1 || childPids(child.pid!).length === workers)) break;
      if (attempt > 3600 || child.exitCode !== null) throw new Error(`${name} did not start`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" };
    const { token } = await json(`${origin}/admin/users`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ id: "bench-user" }),
    });
    await json(`${origin}/v1/byok/enrollment`, {
      method: "PUT",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ fingerprints: { openai: computeFingerprint(USER_KEY) } }),
    });
    return {
      name,
      pid: child.pid!,
      ready: {
        type: "ready",
        origin,
        headers: options.operatorServed
          ? { authorization: `Bearer ${token}` }
          : { authorization: `Bearer ${token}`, "x-byok-openai": USER_KEY },
        model: "chat",
      },
      // A cluster's memory is its biggest process's; its CPU is every process's.
      maxRssKiB: async () => Math.max(...[child.pid!, ...childPids(child.pid!)].map(peakRssKiB)),
      cpuMicros: () => treeCpuMicros(child.pid!),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

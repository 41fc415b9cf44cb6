/**
 * @module test/support/start-gateway
 * A real gateway on loopback over a real SQLite file in a temp dir, with captured log lines and a movable clock.
 */

import { EventEmitter } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { FastifyInstance } from "fastify";
import type { GatewayConfigInput } from "../../src/config/index.ts";
import { createGatewayServer, type GatewayServerOptions } from "../../src/http/index.ts";
import { type Byok, type CreateByokOptions, createByok } from "../../src/library/index.ts";
import type { Store } from "../../src/store/index.ts";
import { createLogger } from "../../src/telemetry/index.ts";

export const TEST_PEPPER = "test-pepper-0123456789abcdef-0123456789abcdef";
export const ADMIN_TOKEN = "admin-token-for-tests-0123456789";

export interface TestClock {
  now(): number;
  advance(ms: number): void;
}

export function createTestClock(start = Date.UTC(2026, 10, 26)): TestClock {
  let current = start;
  return {
    now: () => current,
    advance: (ms) => {
      current += ms;
    },
  };
}

export interface TestGateway {
  readonly url: string;
  readonly byok: Byok;
  readonly app: FastifyInstance;
  readonly dataDir: string;
  /** Every log line written so far (raw JSON text). */
  readonly logs: string[];
  /** Resolves with the first log line that contains `text` (tests bound it with their own time-out). */
  waitForLog(text: string): Promise<string>;
  readonly clock: TestClock;
  close(): Promise<void>;
}

export interface StartGatewayOptions {
  readonly config?: GatewayConfigInput;
  readonly store?: (dataDir: string) => Store;
  readonly routes?: (app: FastifyInstance) => void;
  /** Sees every registered route (createGatewayServer's `onRoute`). */
  readonly onRoute?: GatewayServerOptions["onRoute"];
  /** The settings page's built files (createGatewayServer's `clientDir`). */
  readonly clientDir?: string;
  /** Hears `/metrics`' own listener (createGatewayServer's `onMetricsListening`, with `metrics.port`). */
  readonly onMetricsListening?: GatewayServerOptions["onMetricsListening"];
  readonly checkCustomBaseUrl?: CreateByokOptions["checkCustomBaseUrl"];
  /** The egress guard's resolver; by default every name resolves to one public address (no network here). */
  readonly egressResolver?: CreateByokOptions["egressResolver"];
}

/** A resolver that answers a public (routable, non-special) address for every name. */
export const publicResolver: NonNullable<CreateByokOptions["egressResolver"]> = async () => [
  { address: "93.184.215.14", family: 4 },
];

export function createTempDir(prefix = "byok-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface CapturedLogs {
  readonly logs: string[];
  readonly destination: Writable;
  /** Resolves with the first line (already written or still to come) that contains `text`. */
  waitFor(text: string): Promise<string>;
}

export function captureLogs(): CapturedLogs {
  const logs: string[] = [];
  const lines = new EventEmitter();
  const destination = new Writable({
    write(chunk, _encoding, done) {
      const line = String(chunk);
      logs.push(line);
      lines.emit("line", line);
      done();
    },
  });
  const waitFor = (text: string) =>
    new Promise<string>((resolve) => {
      const found = logs.find((line) => line.includes(text));
      if (found !== undefined) return resolve(found);
      const listener = (line: string) => {
        if (!line.includes(text)) return;
        lines.off("line", listener);
        resolve(line);
      };
      lines.on("line", listener);
    });
  return { logs, destination, waitFor };
}

export async function startGateway(options: StartGatewayOptions = {}): Promise<TestGateway> {
  const dataDir = createTempDir();
  const clock = createTestClock();
  const { logs, destination, waitFor } = captureLogs();
  const byok = await createByok({
    config: {
      pepper: TEST_PEPPER,
      adminToken: ADMIN_TOKEN,
      dataDir,
      log: { level: "trace" },
      ...options.config,
    },
    logger: createLogger({ level: "trace", destination }),
    now: clock.now,
    ...(options.store ? { store: options.store(dataDir) } : {}),
    ...(options.checkCustomBaseUrl ? { checkCustomBaseUrl: options.checkCustomBaseUrl } : {}),
    egressResolver: options.egressResolver ?? publicResolver,
  });
  const app = await createGatewayServer(byok, {
    ...(options.routes ? { routes: options.routes } : {}),
    ...(options.onRoute ? { onRoute: options.onRoute } : {}),
    ...(options.clientDir ? { clientDir: options.clientDir } : {}),
    ...(options.onMetricsListening ? { onMetricsListening: options.onMetricsListening } : {}),
  }).catch(async (error: unknown) => {
    await byok.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  });
  const address = await app.listen({ port: 0, host: "127.0.0.1" });
  return {
    url: address,
    byok,
    app,
    dataDir,
    logs,
    waitForLog: waitFor,
    clock,
    async close() {
      await app.close();
      await byok.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

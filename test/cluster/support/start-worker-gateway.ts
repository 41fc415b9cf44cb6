/**
 * @module test/cluster/support/start-worker-gateway
 * The real `byok-gateway serve --workers N` (src/main.ts) in front of a fake OpenAI provider, on a SQLite
 * file in a temp dir, with its JSON log lines (every worker's and the primary's) parsed as they come.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "undici";
import { type FakeProvider, startFakeOpenAiProvider } from "../../peers/fake-openai-provider.ts";
import { MAIN } from "../../support/run-cli.ts";
import { ADMIN_TOKEN, createTempDir, TEST_PEPPER } from "../../support/start-gateway.ts";

export type LogLine = Record<string, unknown> & { readonly pid: number; readonly msg?: string };

export interface WorkerGateway {
  readonly url: string;
  readonly child: ChildProcess;
  readonly openai: FakeProvider;
  readonly lines: LogLine[];
  /** The first line (already written or to come) that `match` accepts; rejects when the process exits. */
  waitForLine(match: (line: LogLine) => boolean): Promise<LogLine>;
  /** Pids of the workers listening now, by the primary's own log lines. */
  workerPids(): number[];
  /** The pid of the worker that logged the request with this `x-request-id`. */
  pidOf(requestId: string): Promise<number>;
  /** Resolves with [code, signal] when the primary exits. */
  readonly exited: Promise<[number | null, NodeJS.Signals | null]>;
  close(): Promise<void>;
}

export async function startWorkerGateway(options: {
  readonly workers: number;
  readonly shutdownTimeoutMs?: number;
  readonly config?: Record<string, unknown>;
}): Promise<WorkerGateway> {
  const openai = await startFakeOpenAiProvider();
  const dataDir = createTempDir("byok-workers-");
  const configFile = join(dataDir, "config.json");
  writeFileSync(
    configFile,
    JSON.stringify({
      dataDir,
      adminToken: ADMIN_TOKEN,
      server: { host: "127.0.0.1", port: 0, shutdownTimeoutMs: options.shutdownTimeoutMs ?? 10_000 },
      providers: { openai: { baseUrl: openai.baseUrl, apiKey: "sk-operator-openai-workers-000000" } },
      features: {
        summary: { routes: [{ provider: "openai", model: "gpt-4o-mini" }], operatorFallback: true },
      },
      ...options.config,
    }),
  );
  const child = spawn(
    process.execPath,
    [MAIN, "serve", "--config", configFile, "--workers", `${options.workers}`],
    {
      env: { PATH: process.env.PATH ?? "", BYOK_PEPPER: TEST_PEPPER },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const lines: LogLine[] = [];
  const waiters = new Set<{ match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }>();
  let output = "";
  let pending = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    pending += chunk;
    const complete = pending.split("\n");
    pending = complete.pop() ?? "";
    for (const text of complete) {
      output += `${text}\n`;
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        continue;
      }
      lines.push(line);
      for (const waiter of waiters) {
        if (!waiter.match(line)) continue;
        waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    output += chunk;
  });
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  const waitForLine = (match: (line: LogLine) => boolean) =>
    new Promise<LogLine>((resolve, reject) => {
      const found = lines.find(match);
      if (found !== undefined) return resolve(found);
      waiters.add({ match, resolve });
      void exited.then(() => reject(new Error(`the gateway exited first:\n${output}`)));
    });

  const workerPids = () => {
    const gone = new Set(
      lines.filter((line) => /^worker (stopped|exited)/.test(line.msg ?? "")).map((line) => line.workerPid),
    );
    const listening = lines.filter((line) => line.msg === "worker listening").map((line) => line.workerPid);
    return [...new Set(listening)].filter((pid) => !gone.has(pid)) as number[];
  };
  await waitForLine((line) => line.msg === "all workers listening");
  const listening = await waitForLine((line) => line.msg === "worker listening");
  const url = `http://127.0.0.1:${String(listening.port)}`;
  return {
    url,
    child,
    openai,
    lines,
    waitForLine,
    workerPids,
    pidOf: async (requestId) => (await waitForLine((line) => line.reqId === requestId)).pid,
    exited,
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
      // A worker left behind by a failed test must not outlive it.
      for (const pid of workerPids()) if (isRunning(pid)) process.kill(pid, "SIGKILL");
      await openai.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** One keep-alive connection: every request on it reaches the same worker. */
export function pinnedConnection(url: string): Client {
  return new Client(url, { pipelining: 1 });
}

/** Whether a process with this pid is still running. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

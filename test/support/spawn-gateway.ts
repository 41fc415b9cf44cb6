/**
 * @module test/support/spawn-gateway
 * A gateway in its own process (`<main> serve`), its JSON log lines captured, its address read from its log.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { EventEmitter, once } from "node:events";
import { createInterface } from "node:readline";

export interface SpawnedGateway {
  readonly child: ChildProcess;
  /** http://127.0.0.1:PORT, from the "Server listening at" line. */
  readonly url: string;
  readonly port: number;
  /** Every line written so far, stdout and stderr. */
  readonly logs: string[];
  /** Resolves with the first line (already written or still to come) that contains `text`. */
  waitForLog(text: string): Promise<string>;
  /** Sends `signal` (SIGTERM by default) and resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface SpawnGatewayOptions {
  /** The entry and its arguments after `node`, e.g. [".../src/main.ts", "serve", "--config", file]. */
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** How long the process may take to listen before this fails (default 30 s). */
  readonly startTimeoutMs?: number;
}

export async function spawnGateway(options: SpawnGatewayOptions): Promise<SpawnedGateway> {
  const child = spawn(process.execPath, options.args, {
    env: { PATH: process.env.PATH ?? "", ...options.env },
    cwd: options.cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: string[] = [];
  const lines = new EventEmitter();
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on("line", (line) => {
      logs.push(line);
      lines.emit("line", line);
    });
  }
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  const waitForLog = (text: string) =>
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
  const stop = async (signal: NodeJS.Signals = "SIGTERM") => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const [code] = await exited;
    return code;
  };
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  const listening = await Promise.race([
    waitForLog("Server listening at"),
    exited.then(() => null),
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  const address = listening ? /listening at (http:\/\/127\.0\.0\.1:(\d+))/.exec(listening) : null;
  if (address === null) {
    await stop("SIGKILL");
    throw new Error(
      `the gateway did not start (${listening === null ? "it exited" : `no address in ${timeoutMs} ms`}):\n` +
        logs.slice(-20).join("\n"),
    );
  }
  return { child, url: address[1]!, port: Number(address[2]), logs, waitForLog, stop };
}

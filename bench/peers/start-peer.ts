/**
 * @module bench/peers/start-peer
 * The bench's side of a child process: spawn a peer .ts file, wait for its ready message, ask its peak RSS,
 * stop it. An unexpected exit is reported and fails the bench.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { PeerMessage, ReadyMessage } from "./peer-protocol.ts";

const READY_TIMEOUT_MS = 180_000; // generous: a loaded shared machine starts processes slowly

export interface Peer {
  readonly name: string;
  readonly ready: ReadyMessage;
  /** The child's pid (a cluster's primary). */
  readonly pid?: number;
  /** The child's `process.resourceUsage().maxRSS`, in KiB. */
  maxRssKiB(): Promise<number>;
  /** The child's CPU time so far (user + system), in µs. */
  cpuMicros(): number;
  stop(): Promise<void>;
}

/** User + system CPU time of a process from Linux's /proc/<pid>/stat (clock ticks of 10 ms), in µs. */
export function cpuMicrosOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Starts `bench/peers/<file>` with `args` under the current Node, with an IPC channel. */
export async function startPeer(name: string, file: string, args: readonly string[] = []): Promise<Peer> {
  const path = fileURLToPath(new URL(file, import.meta.url));
  const child = spawn(process.execPath, [path, ...args], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let stopping = false;
  const stop = async (): Promise<void> => {
    stopping = true;
    if (exited(child)) return;
    const done = once(child, "exit");
    child.kill("SIGTERM");
    await done;
  };
  const rssWaiters: ((kib: number) => void)[] = [];
  const crashed = Promise.withResolvers<never>();
  crashed.promise.catch(() => {});
  child.once("exit", (code, signal) => {
    if (stopping) return;
    const error = new Error(`${name} exited unexpectedly (code ${code}, signal ${signal})`);
    console.error(error.message);
    process.exitCode = 1;
    crashed.reject(error);
  });
  child.once("error", (error) => crashed.reject(error));

  const readyMessage = Promise.withResolvers<ReadyMessage>();
  child.on("message", (message: PeerMessage) => {
    if (message.type === "ready") readyMessage.resolve(message);
    else if (message.type === "rss") rssWaiters.shift()?.(message.maxRssKiB);
  });
  const timer = setTimeout(
    () => readyMessage.reject(new Error(`${name} was not ready in ${READY_TIMEOUT_MS} ms`)),
    READY_TIMEOUT_MS,
  );
  try {
    const ready = await Promise.race([readyMessage.promise, crashed.promise]);
    return {
      name,
      ready,
      pid: child.pid!,
      async maxRssKiB() {
        const answer = new Promise<number>((resolve) => rssWaiters.push(resolve));
        child.send({ type: "rss?" });
        return Promise.race([answer, crashed.promise]);
      },
      cpuMicros: () => cpuMicrosOf(child.pid!),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

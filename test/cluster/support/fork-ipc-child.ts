/**
 * @module test/cluster/support/fork-ipc-child
 * Forks `ipc-child.ts` on a real IPC channel and gives the parent's endpoint once the child is ready.
 */
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { createIpcEndpoint, type IpcEndpoint, type IpcPort } from "../../../src/cluster/index.ts";

const CHILD = fileURLToPath(new URL("./ipc-child.ts", import.meta.url));

export interface IpcChild {
  readonly child: ChildProcess;
  readonly endpoint: IpcEndpoint;
  /** Resolves with [code, signal] when the child has exited. */
  readonly exited: Promise<unknown[]>;
  kill(): Promise<void>;
}

/** `attach` runs before the child can send anything (as the primary attaches its services). */
export async function forkIpcChild(
  attach: (endpoint: IpcEndpoint) => void,
  env: Readonly<Record<string, string>> = {},
): Promise<IpcChild> {
  const child = fork(CHILD, [], {
    env: { ...process.env, ...env },
    execPath: process.execPath,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = once(child, "exit");
  const endpoint = createIpcEndpoint(child as unknown as IpcPort, { timeoutMs: 1_000 });
  const ready = Promise.withResolvers<void>();
  endpoint.handle("test.ready", () => ready.resolve());
  attach(endpoint);
  void exited.then(() => ready.reject(new Error("the IPC child exited before it was ready")));
  await ready.promise;
  return {
    child,
    endpoint,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

/**
 * @module bench/peers/peer-protocol
 * The IPC messages between bench/proxy.bench.ts and its child processes, and the child's side of them.
 */

/** A child is listening: where to send requests, the headers to send, the model to name. */
export interface ReadyMessage {
  readonly type: "ready";
  readonly origin: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly model: string;
}

/** The child's answer to a `{ type: "rss?" }` request: its peak resident set size so far. */
export interface RssMessage {
  readonly type: "rss";
  readonly maxRssKiB: number;
}

export type PeerMessage = ReadyMessage | RssMessage;

function isRssRequest(message: unknown): boolean {
  return typeof message === "object" && message !== null && (message as { type?: unknown }).type === "rss?";
}

/**
 * Child side: reports readiness, answers peak-RSS requests, and runs `cleanup` then exits when the
 * bench sends SIGTERM or goes away (so no child outlives a crashed bench).
 */
export function announceReady(ready: Omit<ReadyMessage, "type">, cleanup?: () => Promise<void>): void {
  if (!process.send) throw new Error("start this through bench/proxy.bench.ts (it needs an IPC channel)");
  const send = (message: PeerMessage) => process.send?.(message);
  process.on("message", (message) => {
    if (isRssRequest(message)) send({ type: "rss", maxRssKiB: process.resourceUsage().maxRSS });
  });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void (cleanup?.() ?? Promise.resolve()).finally(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("disconnect", stop);
  send({ type: "ready", ...ready });
}

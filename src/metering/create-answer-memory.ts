/**
 * @module metering/create-answer-memory
 * The process's budget for whole upstream answers held in memory (non-streamed answers and error bodies,
 * from their first byte until their call ends): per user and in all, so that one user's large or slow
 * answers cannot exhaust the memory every user's calls share.
 */
import { GatewayError } from "../errors/gateway-error.ts";

export interface AnswerMemoryOptions {
  /** Bytes held at once by the whole process. */
  readonly totalBytes: number;
  /** Bytes held at once for one user's calls. */
  readonly perUserBytes: number;
}

/** One call's share: what its whole answers hold (egress `HeldBytes`), all given back when the call ends. */
export interface AnswerShare {
  /** Counts `bytes` more; null when they fit, else the call's error (nothing counted). */
  take(bytes: number): GatewayError | null;
  /** Gives back `bytes` counted before (an attempt that failed dropped them). */
  give(bytes: number): void;
  /** The call ended: everything it holds is given back; later bytes are not counted. Idempotent. */
  release(): void;
}

export interface AnswerMemory {
  /** A new call's share for `userId`. */
  open(userId: string): AnswerShare;
  /** Bytes held now, in all (`/metrics`, tests). */
  readonly held: number;
  /** Bytes held now for one user. */
  heldBy(userId: string): number;
}

const RETRY_AFTER = { "retry-after": "1" };

/** The user's answers in flight hold their share: theirs to wait for (429). */
const userFull = (limit: number) =>
  new GatewayError("rate_limited", {
    message: `Your calls in flight hold more answer bytes than this gateway allows per user (${limit}); retry when they end.`,
    code: "answer_memory",
    headers: RETRY_AFTER,
  });

/** Every user's answers in flight hold the process's budget: the gateway is busy (503). */
const processFull = () =>
  new GatewayError("service_unavailable", {
    message: "The gateway holds as many answer bytes as it allows; retry shortly.",
    code: "answer_memory",
    headers: RETRY_AFTER,
  });

class Share implements AnswerShare {
  #held = 0;
  #released = false;
  readonly #memory: Ledger;
  readonly #userId: string;

  constructor(memory: Ledger, userId: string) {
    this.#memory = memory;
    this.#userId = userId;
  }

  take(bytes: number): GatewayError | null {
    if (this.#released) return null; // the call is ending: its abort stops the transfer
    const refused = this.#memory.take(this.#userId, bytes);
    if (refused === null) this.#held += bytes;
    return refused;
  }

  give(bytes: number): void {
    const given = Math.min(bytes, this.#held);
    if (given <= 0) return;
    this.#held -= given;
    this.#memory.give(this.#userId, given);
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.give(this.#held);
  }
}

interface Ledger {
  take(userId: string, bytes: number): GatewayError | null;
  give(userId: string, bytes: number): void;
}

export function createAnswerMemory(options: AnswerMemoryOptions): AnswerMemory {
  const { totalBytes, perUserBytes } = options;
  let total = 0;
  /** Only users holding bytes now: the map shrinks back as their calls end. */
  const byUser = new Map<string, number>();

  const ledger: Ledger = {
    take(userId, bytes) {
      const mine = byUser.get(userId) ?? 0;
      if (mine + bytes > perUserBytes) return userFull(perUserBytes);
      if (total + bytes > totalBytes) return processFull();
      byUser.set(userId, mine + bytes);
      total += bytes;
      return null;
    },
    give(userId, bytes) {
      const left = (byUser.get(userId) ?? 0) - bytes;
      if (left > 0) byUser.set(userId, left);
      else byUser.delete(userId);
      total -= bytes;
    },
  };

  return {
    open: (userId) => new Share(ledger, userId),
    get held() {
      return total;
    },
    heldBy: (userId) => byUser.get(userId) ?? 0,
  };
}

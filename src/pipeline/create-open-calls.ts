/**
 * @module pipeline/create-open-calls
 * Every model call in flight, by user: revocation, an enrollment change or a shutdown cuts what is open.
 */
import type { Principal } from "../auth/principal.ts";
import { GatewayError } from "../errors/gateway-error.ts";

/** Why open calls are cut; each is the `code` of the error event (or the close reason) the client gets. */
export type CutReason = "user_revoked" | "enrollment_changed" | "shutting_down";

/** One call in flight: its signal ends the upstream call when the client leaves or the call is cut. */
export interface OpenCall {
  /** Aborted by the client's own abort (its reason), or by a cut (a GatewayError naming the reason). */
  readonly signal: AbortSignal;
  /** Whose key serves it, once routed: an enrollment change cuts `byok` calls only. */
  routed(source: "byok" | "operator"): void;
  /**
   * True the first time only: a call's first admission takes its requests-per-minute hit, a retry or a
   * fallback attempt none.
   */
  takeRateHit(): boolean;
  /** Leaves the registry (the call ended); idempotent. */
  close(): void;
  /** Checked before the bus last resynchronized (a cut may have been missed): read its user again. */
  readonly recheck: boolean;
}

/** Whose call it is: the user, and how they signed in (absent when the embedding app named the user itself). */
export interface OpenCaller {
  readonly userId: string;
  readonly via?: Principal["via"];
}

/** A user with calls open, as a recheck reads them. */
export interface OpenUser {
  readonly userId: string;
  /**
   * True when one of the calls signed in with a stored user's credential (a gateway token or a settings
   * token): that user has a row in `users`, so a missing row means they are gone. A JWT user (or one the
   * embedding app named) need have no row.
   */
  readonly stored: boolean;
}

/**
 * Where the cuts stood when a request was checked (each an OpenCalls `mark()`): before its credentials were
 * read, and before its keys were. A cut made since cuts the call as it opens (create-open-calls.ts).
 */
export interface CutMarks {
  /** Taken before the credentials were read: a revocation (or the shutdown deadline) since then cuts the call. */
  readonly credentials: number;
  /** Taken before the keys were checked: an enrollment change since then cuts the call once it is routed to them. */
  readonly keys: number;
}

export interface OpenCalls {
  /**
   * Registers a call; its signal follows `clientSignal`. With `clientController` (the controller of
   * `clientSignal`, made for this call alone) a cut aborts that very controller: no second one is chained.
   * With `marks`, the cuts made since the request was checked apply to it as it opens: a request whose
   * body was still arriving when its user was revoked (or shutdown came) is cut at once; one whose
   * enrollment changed since its keys were checked is cut when it is routed to the user's own keys.
   */
  open(
    caller: OpenCaller,
    clientSignal: AbortSignal,
    clientController?: AbortController,
    marks?: CutMarks,
  ): OpenCall;
  /**
   * `open`, then the cuts it may have missed settled before anything is served: a call cut meanwhile leaves
   * the registry and throws the cut's error. A call checked before the bus last resynchronized has its user
   * read again first (`recheck`): only then is the answer a promise (a failing read leaves and rejects).
   */
  openChecked(
    caller: OpenCaller,
    clientSignal: AbortSignal,
    clientController?: AbortController,
    marks?: CutMarks,
  ): OpenCall | Promise<OpenCall>;
  /**
   * Where the cuts stand now: taken before a request's credentials (and again before its keys) are
   * checked, then given to `open`. Cuts are remembered for CUT_MEMORY_MS (longer than a body may take).
   */
  mark(): number;
  /**
   * Cuts may have been missed (the bus was away and resynchronized): a call checked before now that opens
   * later has `recheck` set, so its user is read again before it is served.
   */
  resynced(): void;
  /** Users whose cuts are remembered for calls that open later (those of the last CUT_MEMORY_MS). */
  readonly rememberedCuts: number;
  /**
   * Cuts a user's open calls: all of them when revoked, the ones on their own keys (or not yet routed)
   * when their enrollment changed. Returns how many were cut.
   */
  cut(userId: string, reason: Exclude<CutReason, "shutting_down">): number;
  /** Cuts every open call (shutdown); returns how many. */
  cutAll(reason: "shutting_down"): number;
  /** Resolves when no call is open (at once when none is). */
  drained(): Promise<void>;
  /** The users with calls open now (to recheck them after invalidations may have been missed). */
  users(): OpenUser[];
  readonly size: number;
}

/** The error a cut call ends with, in every dialect (docs/security-model.md). */
export function cutError(reason: CutReason): GatewayError {
  switch (reason) {
    case "user_revoked":
      return new GatewayError("invalid_credentials", {
        message: "The user was revoked; this call was ended.",
        code: reason,
      });
    case "enrollment_changed":
      return new GatewayError("byok_key_mismatch", {
        message: "The enrollment changed; this call on the previous key was ended.",
        code: reason,
      });
    case "shutting_down":
      return new GatewayError("service_unavailable", {
        message: "The gateway is shutting down; this call was ended.",
        code: reason,
      });
  }
}

/** True when a signal was aborted by a cut (its reason is the gateway's error), not by the client. */
export function isCut(signal: AbortSignal): boolean {
  return signal.aborted && signal.reason instanceof GatewayError;
}

interface Entry {
  readonly controller: AbortController;
  /** Signed in with a stored user's credential (see `OpenUser.stored`). */
  readonly stored: boolean;
  source: "byok" | "operator" | null;
}

/** The registry's side of an open call: where its entry is kept and how it leaves. */
interface Registry {
  leave(userId: string, entry: Entry): void;
}

/** One open call: its entry in the registry, and the client's abort followed when the controller is not the client's. */
class RegisteredCall implements OpenCall, Entry {
  readonly controller: AbortController;
  readonly stored: boolean;
  source: "byok" | "operator" | null = null;
  recheck = false;
  /** The enrollment changed after this call's keys were checked: routed to the user's keys, it is cut. */
  keysChanged = false;
  #closed = false;
  #rateHitTaken = false;
  readonly #userId: string;
  readonly #registry: Registry;
  readonly #clientSignal: AbortSignal;
  /** The listener on the client's signal, when its controller is not this call's. */
  readonly #onClientAbort: (() => void) | null;

  constructor(
    caller: OpenCaller,
    registry: Registry,
    clientSignal: AbortSignal,
    clientController?: AbortController,
  ) {
    this.#userId = caller.userId;
    this.stored = caller.via === "token" || caller.via === "settings";
    this.#registry = registry;
    this.#clientSignal = clientSignal;
    const owned = clientController !== undefined && clientController.signal === clientSignal;
    // The client's own controller: its abort is already this call's.
    const controller = owned ? clientController : new AbortController();
    this.controller = controller;
    if (owned || clientSignal.aborted) {
      this.#onClientAbort = null;
      if (!owned) controller.abort(clientSignal.reason);
    } else {
      this.#onClientAbort = () => controller.abort(clientSignal.reason);
      clientSignal.addEventListener("abort", this.#onClientAbort, { once: true });
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  routed(source: "byok" | "operator"): void {
    this.source = source;
    if (source === "byok" && this.keysChanged && !this.controller.signal.aborted)
      this.controller.abort(cutError("enrollment_changed"));
  }

  takeRateHit(): boolean {
    if (this.#rateHitTaken) return false;
    this.#rateHitTaken = true;
    return true;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#onClientAbort !== null) this.#clientSignal.removeEventListener("abort", this.#onClientAbort);
    this.#registry.leave(this.#userId, this);
  }
}

/**
 * How long a cut is remembered for the calls still being received (their marks): past the longest time a
 * request may take to arrive in full (`server.requestTimeoutMs`, at most one hour).
 */
export const CUT_MEMORY_MS = 61 * 60 * 1000; // timed on a monotonic clock: a wall-clock jump forgets nothing

/** A user's latest cuts, by the sequence number each took, and when the last was made. */
interface RecentCuts {
  revoked: number;
  changed: number;
  at: number;
}

/** Whether a caller is gone (revoked, or a stored user with no row): read again after a resync. */
export type RecheckCaller = (caller: OpenCaller) => Promise<boolean>;

export interface OpenCallsOptions {
  /** The clock cuts are remembered on: a monotonic one by default. */
  readonly now?: () => number;
  /** Reads a caller's user again (`openChecked`, for a call checked before a resync); none: not read. */
  readonly recheck?: RecheckCaller;
}

export function createOpenCalls(options: OpenCallsOptions = {}): OpenCalls {
  const now = options.now ?? performance.now.bind(performance);
  const { recheck } = options;
  const byUser = new Map<string, Set<Entry>>();
  let size = 0;
  let waiting: Array<() => void> = [];
  /** Every cut takes the next number; `mark()` reads the last one taken. */
  let sequence = 0;
  /** Users cut recently, oldest first (a cut moves its user to the end), pruned past CUT_MEMORY_MS. */
  const recentCuts = new Map<string, RecentCuts>();
  /** The number the last `cutAll` took (shutdown): every call opened after it is cut too. */
  let allCut = 0;

  const remember = (userId: string, reason: Exclude<CutReason, "shutting_down">) => {
    const at = now();
    for (const [oldest, cuts] of recentCuts) {
      if (at - cuts.at <= CUT_MEMORY_MS) break;
      recentCuts.delete(oldest);
    }
    const cuts = recentCuts.get(userId) ?? { revoked: 0, changed: 0, at };
    recentCuts.delete(userId);
    sequence += 1;
    if (reason === "user_revoked") cuts.revoked = sequence;
    else cuts.changed = sequence;
    cuts.at = at;
    recentCuts.set(userId, cuts);
  };

  /** The call, unless it was cut (while its body was still arriving): then it leaves, and the cut is thrown. */
  const uncut = (call: OpenCall): OpenCall => {
    if (!isCut(call.signal)) return call;
    call.close();
    throw call.signal.reason;
  };

  /** The number the last resync took: calls checked before it are read again when they open. */
  let resyncedAt = 0;

  /** Applies to a call opening now the cuts made since its marks. */
  const applyMissed = (call: RegisteredCall, userId: string, marks: CutMarks) => {
    if (allCut > marks.credentials) return abort(call, "shutting_down");
    call.recheck = resyncedAt > marks.credentials;
    const cuts = recentCuts.get(userId);
    if (cuts === undefined || now() - cuts.at > CUT_MEMORY_MS) return;
    if (cuts.revoked > marks.credentials) return abort(call, "user_revoked");
    // Only a call on the user's own keys is on the previous ones: it is cut when routed there.
    call.keysChanged = cuts.changed > marks.keys;
  };

  const abort = (entry: Entry, reason: CutReason) => {
    if (!entry.controller.signal.aborted) entry.controller.abort(cutError(reason));
  };

  const registry: Registry = {
    leave(userId, entry) {
      const set = byUser.get(userId);
      if (set?.delete(entry)) size--;
      if (set?.size === 0) byUser.delete(userId);
      if (size === 0 && waiting.length > 0) {
        const resolved = waiting;
        waiting = [];
        for (const resolve of resolved) resolve();
      }
    },
  };

  return {
    open(caller, clientSignal, clientController, marks) {
      const call = new RegisteredCall(caller, registry, clientSignal, clientController);
      if (marks !== undefined) applyMissed(call, caller.userId, marks);
      let calls = byUser.get(caller.userId);
      if (calls === undefined) {
        calls = new Set();
        byUser.set(caller.userId, calls);
      }
      calls.add(call);
      size++;
      return call;
    },
    openChecked(caller, clientSignal, clientController, marks) {
      const call = this.open(caller, clientSignal, clientController, marks);
      if (!call.recheck || recheck === undefined || isCut(call.signal)) return uncut(call);
      return recheck(caller).then(
        (gone) => {
          if (gone) this.cut(caller.userId, "user_revoked");
          return uncut(call);
        },
        (error: unknown) => {
          call.close();
          throw error;
        },
      );
    },
    mark: () => sequence,
    resynced() {
      sequence += 1;
      resyncedAt = sequence;
    },
    cut(userId, reason) {
      remember(userId, reason);
      const calls = byUser.get(userId);
      if (calls === undefined) return 0;
      let count = 0;
      for (const entry of calls) {
        if (reason === "enrollment_changed" && entry.source === "operator") continue;
        abort(entry, reason);
        count++;
      }
      return count;
    },
    cutAll(reason) {
      sequence += 1;
      allCut = sequence;
      let count = 0;
      for (const calls of byUser.values()) {
        for (const entry of calls) {
          abort(entry, reason);
          count++;
        }
      }
      return count;
    },
    drained() {
      if (size === 0) return Promise.resolve();
      return new Promise<void>((resolve) => waiting.push(resolve));
    },
    users() {
      const users: OpenUser[] = [];
      for (const [userId, calls] of byUser) {
        let stored = false;
        for (const entry of calls) stored ||= entry.stored;
        users.push({ userId, stored });
      }
      return users;
    },
    get size() {
      return size;
    },
    get rememberedCuts() {
      return recentCuts.size;
    },
  };
}

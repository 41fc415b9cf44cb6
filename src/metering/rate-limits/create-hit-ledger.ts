/**
 * @module metering/rate-limits/create-hit-ledger
 * The primary's exact account of the workers' rate-limit hits: per key a sliding log of the hits reported
 * used, plus the leases workers hold (hits granted ahead, not yet reported); a lease is granted only from
 * what the limit leaves, so the workers together never pass more than the limit in any window.
 */
import { LRUCache } from "lru-cache";
import type { RateDecision } from "./rate-limiter.ts";

export type LeaseDecision =
  | { readonly ok: true; readonly leaseId: number; readonly granted: number; readonly leaseMs: number }
  | { readonly ok: false; readonly retryAfterSeconds: number };

export interface LeaseAsk {
  readonly key: string;
  readonly limit: number;
  readonly windowMs: number;
  /** Hits the worker would like to hold (it gets at most its share of what is left, at least 1 if any). */
  readonly want: number;
}

export interface HitLedger {
  lease(holder: number, ask: LeaseAsk): LeaseDecision;
  /**
   * The worker used hits of a lease `agesMs` ago (logged at the ledger's now minus the age: never earlier
   * than they happened); `done` returns what is left. A report on an unknown (expired) lease is ignored.
   */
  report(holder: number, leaseId: number, agesMs: readonly number[], done: boolean): void;
  /** The workers other than `except` holding hits of `key` they have not reported (to recall them). */
  holdersOf(key: string, except: number): number[];
  /** A worker is gone: every hit it still held counts as used now (it may have used them unreported). */
  dropHolder(holder: number): void;
  /** Hits held in leases now, all keys (tests and metrics). */
  readonly held: number;
}

export interface HitLedgerOptions {
  /** Milliseconds, monotonic by default. */
  readonly now?: () => number;
  /** A lease not returned within this long counts as wholly used then (a stalled worker). Default 1000. */
  readonly leaseMs?: number;
  /** Workers sharing the limit: a lease is at most an equal share of what is left. */
  readonly holders: () => number;
  /** Default 100 000 (the least recently used key is forgotten beyond it, as the local limiter's). */
  readonly maxKeys?: number;
}

interface Lease {
  readonly holder: number;
  readonly key: string;
  /** The lease's account itself: the LRU may forget the key, never the hits a lease holds. */
  readonly account: KeyAccount;
  left: number;
  readonly expiresAt: number;
}

interface KeyAccount {
  /** Used hits' times, ascending from `head`. */
  times: number[];
  head: number;
  /** Live leases of this key. */
  readonly leases: Set<number>;
  held: number;
}

const DEFAULT_LEASE_MS = 1_000;

export function createHitLedger(options: HitLedgerOptions): HitLedger {
  const now = options.now ?? (() => performance.now());
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  // Bounded by count through maxSize (each entry counts 1), not `max`, which allocates every slot up front.
  const accounts = new LRUCache<string, KeyAccount>({
    maxSize: options.maxKeys ?? 100_000,
    sizeCalculation: () => 1,
  });
  const leases = new Map<number, Lease>();
  /** Accounts with live leases, kept whether or not the LRU still has them (never granted twice). */
  const leased = new Map<string, KeyAccount>();
  let nextLeaseId = 1;
  let totalHeld = 0;

  /** Inserts `at` in order (reports come late and from several workers). */
  function logUsed(account: KeyAccount, at: number, count = 1): void {
    const { times } = account;
    if (times.length === account.head || times[times.length - 1]! <= at) {
      for (let index = 0; index < count; index++) times.push(at);
      return;
    }
    let low = account.head;
    let high = times.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (times[middle]! <= at) low = middle + 1;
      else high = middle;
    }
    times.splice(low, 0, ...Array.from({ length: count }, () => at));
  }

  /** Ends a lease: what it still held is returned, or (`usedAt`) counted as used at that time. */
  function endLease(leaseId: number, lease: Lease, usedAt: number | null): void {
    leases.delete(leaseId);
    const { account } = lease;
    totalHeld -= lease.left;
    account.leases.delete(leaseId);
    if (account.leases.size === 0 && leased.get(lease.key) === account) {
      leased.delete(lease.key);
      // Forgotten by the LRU while leased: back in it, so the hits the lease used stay counted.
      if (accounts.peek(lease.key) !== account) accounts.set(lease.key, account);
    }
    account.held -= lease.left;
    if (usedAt !== null && lease.left > 0) logUsed(account, usedAt, lease.left);
    lease.left = 0;
  }

  function settleExpired(account: KeyAccount, at: number): void {
    for (const leaseId of account.leases) {
      const lease = leases.get(leaseId)!;
      if (lease.expiresAt <= at) endLease(leaseId, lease, lease.expiresAt);
    }
  }

  function prune(account: KeyAccount, at: number, windowMs: number): void {
    const { times } = account;
    const horizon = at - windowMs;
    while (account.head < times.length && times[account.head]! <= horizon) account.head++;
    if (account.head === times.length) {
      times.length = 0;
      account.head = 0;
    } else if (account.head > 32 && account.head * 2 > times.length) {
      times.splice(0, account.head);
      account.head = 0;
    }
  }

  /** When the next hit could pass: once enough logged hits leave the window (held leases: 1 s). */
  function refusal(account: KeyAccount, at: number, limit: number, windowMs: number): RateDecision {
    const logged = account.times.length - account.head;
    const mustLeave = logged + account.held - limit; // ≥ 0 here
    if (mustLeave >= logged) return { ok: false, retryAfterSeconds: 1 };
    const leaving = account.times[account.head + mustLeave]!;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((leaving + windowMs - at) / 1000)) };
  }

  return {
    lease(holder, ask) {
      const at = now();
      let account = accounts.get(ask.key);
      if (account === undefined) {
        account = leased.get(ask.key) ?? { times: [], head: 0, leases: new Set(), held: 0 };
        accounts.set(ask.key, account);
      }
      settleExpired(account, at);
      prune(account, at, ask.windowMs);
      const left = ask.limit - (account.times.length - account.head) - account.held;
      if (left <= 0) return refusal(account, at, ask.limit, ask.windowMs) as LeaseDecision;
      const share = Math.max(1, Math.floor(left / Math.max(1, options.holders())));
      const granted = Math.max(1, Math.min(ask.want, share));
      const leaseId = nextLeaseId++;
      leases.set(leaseId, { holder, key: ask.key, account, left: granted, expiresAt: at + leaseMs });
      account.leases.add(leaseId);
      leased.set(ask.key, account);
      account.held += granted;
      totalHeld += granted;
      return { ok: true, leaseId, granted, leaseMs };
    },
    report(holder, leaseId, agesMs, done) {
      const lease = leases.get(leaseId);
      if (lease === undefined || lease.holder !== holder) return;
      const { account } = lease;
      const at = now();
      const used = Math.min(agesMs.length, lease.left);
      lease.left -= used;
      totalHeld -= used;
      account.held -= used;
      for (let index = 0; index < used; index++) logUsed(account, at - Math.max(0, agesMs[index]!));
      if (done) endLease(leaseId, lease, null);
    },
    holdersOf(key, except) {
      const account = accounts.peek(key) ?? leased.get(key);
      const found = new Set<number>();
      for (const leaseId of account?.leases ?? []) {
        const lease = leases.get(leaseId)!;
        if (lease.holder !== except && lease.left > 0) found.add(lease.holder);
      }
      return [...found];
    },
    dropHolder(holder) {
      const at = now();
      for (const [leaseId, lease] of leases) if (lease.holder === holder) endLease(leaseId, lease, at);
    },
    get held() {
      return totalHeld;
    },
  };
}

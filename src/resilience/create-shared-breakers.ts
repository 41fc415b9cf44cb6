/**
 * @module resilience/create-shared-breakers
 * Circuit breakers shared by every replica through a board (Redis): `allow()` reads a local mirror, and
 * failures, probes and closes go to the board off the request path (fire and forget, errors reported).
 * While the board cannot be reached each replica behaves as the local breakers do.
 */
import type {
  BoardFailure,
  BoardNotice,
  BoardProbe,
  BoardState,
  BreakerBoard,
} from "../store/breaker-board.ts";
import {
  type BreakerEntry,
  CLOSED,
  createBreakerTable,
  HALF_OPEN,
  OPEN,
  takeProbe,
} from "./breaker-table.ts";
import { checkBreakerSettings, type LocalBreakersOptions } from "./create-local-breakers.ts";
import type { ResettableBreakers } from "./resettable-breakers.ts";

export interface SharedBreakersOptions extends LocalBreakersOptions {
  readonly board: BreakerBoard;
  /** A board call that failed (the breaker went on locally); never thrown. */
  readonly onBoardError?: (error: unknown) => void;
  /** How often the mirror re-reads the board for the upstreams it knows (missed notices); default 5 s. */
  readonly refreshEveryMs?: number;
}

/** A claim refused because other replicas hold the probes: asked again after this long at most. */
const BUSY_RETRY_MS = 1_000;

export function createSharedBreakers(options: SharedBreakersOptions): ResettableBreakers {
  checkBreakerSettings(options);
  const { board, failureThreshold, openMs, halfOpenProbes } = options;
  const now = options.now ?? Date.now;
  const table = createBreakerTable(now, options.onTransition);
  const report = (error: unknown) => options.onBoardError?.(error);

  const applyOpen = (entry: BreakerEntry, remainingMs: number) => {
    if (entry.state === OPEN) entry.retryAt = now() + remainingMs;
    else table.open(entry, remainingMs);
  };
  const applyState = (state: BoardState) => {
    const entry = table.entry(state.upstream);
    if (state.remainingMs !== null) {
      if (entry.state === CLOSED) applyOpen(entry, state.remainingMs);
    } else if (entry.state === HALF_OPEN) {
      table.close(entry); // a probe elsewhere closed it
    } else if (entry.state === CLOSED) {
      entry.failures = state.failures;
      entry.sharedFailures = state.failures > 0;
    }
  };
  const applyFailure = (entry: BreakerEntry, result: BoardFailure) => {
    if (result.kind === "open") return applyOpen(entry, result.remainingMs);
    if (entry.state === CLOSED) entry.failures = result.failures;
  };
  /**
   * The board's answer to a claim. After a cool-down this replica's request already went as the probe
   * (half-open): `busy` (another replica probes too) leaves that extra probe be; `open` closes the gate again.
   */
  const applyProbe = (entry: BreakerEntry, result: BoardProbe) => {
    if (entry.state === CLOSED) return;
    const waiting = entry.state === OPEN && entry.retryAt <= now(); // a re-claim after a lost probe
    if (result.kind === "closed") table.close(entry);
    else if (result.kind === "open") table.open(entry, result.remainingMs);
    else if (!waiting) return;
    else if (result.kind === "probe") table.halfOpen(entry, 1);
    else entry.retryAt = now() + Math.min(openMs, BUSY_RETRY_MS);
  };
  const onNotice = (notice: BoardNotice) => {
    const entry = table.entry(notice.upstream);
    if (notice.event === "open") applyOpen(entry, notice.remainingMs);
    else if (notice.event === "closed") table.close(entry);
    else if (entry.state === CLOSED) entry.sharedFailures = true;
  };

  /** Local behaviour, for when the board cannot be reached. */
  const failLocally = (entry: BreakerEntry) => {
    if (entry.state === HALF_OPEN) return table.open(entry, openMs);
    entry.failures++;
    if (entry.state === CLOSED && entry.failures >= failureThreshold) table.open(entry, openMs);
  };
  const claimProbe = (entry: BreakerEntry) => {
    if (entry.claiming) return;
    entry.claiming = true;
    board.claimProbe(entry.upstream, halfOpenProbes, openMs).then(
      (result) => {
        entry.claiming = false;
        applyProbe(entry, result);
      },
      (error: unknown) => {
        entry.claiming = false;
        report(error);
        if (entry.state === OPEN) table.halfOpen(entry, halfOpenProbes);
      },
    );
  };

  const refresh = () => {
    if (!board.up) return;
    const upstreams = [...table.entries()].map((entry) => entry.upstream);
    board.read(upstreams).then((states) => states.forEach(applyState), report);
  };
  const stopNotices = board.onNotice(onNotice);
  const stopSubscription = board.onSubscription((status) => {
    if (status === "up") refresh(); // notices may have been missed meanwhile
  });
  const timer = setInterval(refresh, options.refreshEveryMs ?? 5_000);
  timer.unref();

  return {
    allow(upstream) {
      const entry = table.get(upstream);
      if (entry === undefined || entry.state === CLOSED) return true;
      const at = now();
      if (entry.state === OPEN) {
        if (at < entry.retryAt) return false;
        // The cool-down is over: this request goes as the probe while the claim on the board runs off the
        // request path; a replica beaten to the claim has sent one extra probe (docs/features-and-routing.md).
        table.halfOpen(entry, board.up ? 1 : halfOpenProbes);
        if (board.up) claimProbe(entry);
      }
      if (entry.permits === 0 && at - entry.probeAt >= openMs && board.up) {
        // Our probe never reported and its lease ended: claim anew.
        table.open(entry, 0);
        claimProbe(entry);
        return false;
      }
      return takeProbe(entry, at, openMs, halfOpenProbes);
    },
    succeeded(upstream) {
      const entry = table.get(upstream);
      if (entry === undefined) return;
      if (entry.state === HALF_OPEN) {
        table.close(entry);
        if (board.up) board.reset(upstream).catch(report);
      } else if (entry.state === CLOSED && (entry.failures !== 0 || entry.sharedFailures)) {
        entry.failures = 0;
        entry.sharedFailures = false;
        if (board.up) board.clearFailures(upstream).then(applyState, report);
      }
    },
    failed(upstream) {
      const entry = table.entry(upstream);
      const reopen = entry.state === HALF_OPEN;
      if (reopen) table.open(entry, openMs); // stop probing now; the board tells the others
      if (!board.up) {
        if (!reopen) failLocally(entry);
        return;
      }
      board.countFailure(upstream, { threshold: failureThreshold, openMs, reopen }).then(
        (result) => applyFailure(entry, result),
        (error: unknown) => {
          report(error);
          if (!reopen) failLocally(entry);
        },
      );
    },
    snapshot: () => table.snapshot(),
    async reset(upstream) {
      const entry = table.get(upstream);
      if (entry !== undefined) table.close(entry);
      try {
        await board.reset(upstream);
        return { upstream, shared: true };
      } catch (error) {
        report(error);
        return { upstream, shared: false };
      }
    },
    async close() {
      clearInterval(timer);
      stopNotices();
      stopSubscription();
      await board.close();
    },
  };
}

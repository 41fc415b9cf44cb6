/**
 * @module library/cut-open-calls-on-invalidation
 * The one subscription that ends calls in flight: cut when their user is revoked or their enrollment's keys
 * change, and after a resync (messages may have been missed) the users with calls open are read again.
 */
import type { OpenCalls, RecheckCaller } from "../pipeline/index.ts";
import type { InvalidationBus } from "../store/invalidation-bus.ts";
import type { Store } from "../store/store-types.ts";
import type { Logger } from "../telemetry/create-logger.ts";

/**
 * Rereads the users with calls open; a user revoked meanwhile has their calls cut, as the missed message
 * would have done. Returns how many. A missing row cuts only a stored user (signed in with a gateway or
 * settings token): a JWT user has no row unless the admin created one, and is cut only when that row is
 * revoked (the rule a live ticket's redemption applies, http/routes/parse-live-caller.ts).
 */
export async function recheckOpenCalls(openCalls: OpenCalls, store: Store): Promise<number> {
  let cut = 0;
  for (const { userId, stored } of openCalls.users()) {
    if (await isGone(store, userId, stored)) cut += openCalls.cut(userId, "user_revoked");
  }
  return cut;
}

/** The recheck's rule for one user: revoked, or (`stored`: signed in as a stored user) without a row. */
async function isGone(store: Store, userId: string, stored: boolean): Promise<boolean> {
  const user = await store.users.get(userId);
  return user === null ? stored : user.revokedAt !== null;
}

/**
 * The same rule for one caller whose request was checked before a resync and whose call opens after it
 * (its body was still arriving): the pipeline reads its user again before serving it.
 */
export function recheckCallerWith(store: Store): RecheckCaller {
  return (caller) => isGone(store, caller.userId, caller.via === "token" || caller.via === "settings");
}

export function cutOpenCallsOnInvalidation(
  bus: InvalidationBus,
  openCalls: OpenCalls,
  store: Store,
  logger: Logger,
): () => void {
  return bus.subscribe((message) => {
    if (message.topic === "resync") {
      openCalls.resynced(); // calls checked before now and opening later read their user again
      recheckOpenCalls(openCalls, store).then(
        (count) => {
          if (count > 0) logger.info({ count }, "open calls of users revoked while the bus was down cut");
        },
        (error: unknown) => logger.warn({ err: error }, "open calls could not be rechecked after a resync"),
      );
      return;
    }
    if (message.cut === undefined) return;
    const count = openCalls.cut(message.userId, message.cut);
    if (count > 0) logger.info({ userId: message.userId, reason: message.cut, count }, "open calls cut");
  });
}

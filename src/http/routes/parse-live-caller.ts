/**
 * @module http/routes/parse-live-caller
 * The caller of a live `/v1/listen` socket: the token and keys in its headers, or one listen ticket
 * (browsers). A ticket holds for the model (feature) and the user it was issued for; headers sent with it
 * must agree with it (another user's token: 4001; a key that does not match: 4003).
 */
import type { FastifyRequest } from "fastify";
import type { Principal } from "../../auth/principal.ts";
import { GatewayError } from "../../errors/gateway-error.ts";
import type { Byok } from "../../library/create-byok.ts";
import { cutError } from "../../pipeline/index.ts";
import type { ByokContext } from "../../validation/byok-context.ts";
import { authenticateUser } from "../plugins/request-guards.ts";

export interface LiveCaller {
  readonly principal: Principal;
  readonly byok: ByokContext;
  /** The open-call registry's mark taken before the keys were last read (an enrollment change since cuts it). */
  readonly keysMark: number;
}

const refusedTicket = (message: string) =>
  new GatewayError("invalid_credentials", { message, param: "ticket" });

/** Whether `authorization` authenticates a user other than `userId` (false when it authenticates no one). */
async function otherUserOf(byok: Byok, authorization: string | undefined, userId: string): Promise<boolean> {
  if (authorization === undefined) return false;
  const token = /^(?:Token|Bearer)\s+(\S+)\s*$/i.exec(authorization)?.[1];
  if (token === undefined) return false;
  try {
    return (await byok.authenticate(`Bearer ${token}`)).userId !== userId;
  } catch {
    return false;
  }
}

export async function parseLiveCaller(
  byok: Byok,
  request: FastifyRequest,
  query: URLSearchParams,
): Promise<LiveCaller> {
  const tickets = query.getAll("ticket");
  if (tickets.length === 0) {
    const principal = await authenticateUser(byok, request, "deepgram");
    const keysMark = byok.pipeline.openCalls.mark();
    return { principal, byok: await byok.validate(principal, request.headers), keysMark };
  }
  const address = request.ip; // read once (trustProxy's walk of X-Forwarded-For)
  byok.anonymousLimit.check(address);
  // Every ticket presented is used up, so a refused pair leaves neither to try again.
  const redeemed = await Promise.allSettled(tickets.map((ticket) => byok.listenTickets.redeem(ticket)));
  const failed = redeemed.find((outcome) => outcome.status === "rejected");
  if (failed !== undefined) throw failed.reason; // the shared ticket store is away: 503 (close 1013)
  const grants = redeemed.map((outcome) => (outcome.status === "fulfilled" ? outcome.value : null));
  if (tickets.length > 1) {
    throw new GatewayError("invalid_request", {
      message: "One listen ticket per session: every ticket presented was used up; ask for a new one.",
      param: "ticket",
    });
  }
  const grant = grants[0] ?? null;
  if (grant === null) {
    await byok.anonymousLimit.recordFailure(address);
    throw refusedTicket("The listen ticket is unknown, already used or expired; ask for a new one.");
  }
  if (grant.model !== query.get("model")) {
    throw refusedTicket("The listen ticket was issued for another model; ask for one for this model.");
  }
  // The grant was sealed when the ticket was issued: the user is read again, so that a revocation since
  // then (on any replica) refuses the ticket, and a plan change applies.
  const principal = await currentPrincipal(byok, grant.principal);
  // A token sent along that is another user's contradicts the ticket (one that is no token at all, like
  // the SDK's required placeholder `apiKey`, is ignored: the ticket is the credential). Keys sent along
  // must match the ticket's user's enrollment (else 4003).
  const other = await otherUserOf(byok, request.headers.authorization, principal.userId);
  if (other) throw refusedTicket("The listen ticket was issued to another user.");
  if (Object.keys(request.headers).some((name) => name.startsWith("x-byok-"))) {
    await byok.validate(principal, request.headers);
  }
  // The keys were validated when the ticket was issued: one replaced or removed since (the enrollment
  // changed, on any replica) refuses the ticket as that change cuts a session open on it (4003).
  const keysMark = byok.pipeline.openCalls.mark();
  if (!(await byok.stillEnrolled(grant.byok))) throw cutError("enrollment_changed");
  return { principal, byok: grant.byok, keysMark };
}

/** A gateway-token user must still exist unrevoked (its plan read now); a JWT user refused only when revoked in the store. */
async function currentPrincipal(byok: Byok, sealed: Principal): Promise<Principal> {
  const user = await byok.store.users.get(sealed.userId);
  if (user === null ? sealed.via === "token" : user.revokedAt !== null) {
    throw refusedTicket("The listen ticket's user was revoked; sign in again.");
  }
  if (user === null || sealed.via !== "token") return sealed;
  return Object.freeze({ ...sealed, plan: user.plan });
}

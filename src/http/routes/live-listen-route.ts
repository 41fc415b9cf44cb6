/**
 * @module http/routes/live-listen-route
 * The live `GET /v1/listen` WebSocket in named steps: the handshake checked (before authentication), the
 * gateway-wide session cap, the caller, routing, admission and the provider's socket opened before the
 * client's socket is accepted, then a refusal (a close code) or the relay. Tracks every session for
 * shutdown and for `/metrics`.
 */
import type { IncomingMessage } from "node:http";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { Gauge } from "prom-client";
import { GatewayError, isCutError, isGatewayError } from "../../errors/gateway-error.ts";
import type { Byok } from "../../library/create-byok.ts";
import type { LiveRelay, LiveSession, LiveSocket, ModelCall, OpenCall } from "../../pipeline/index.ts";
import { closeCodeFor, closeReasonFor, LIVE_CLOSE } from "../../wire/deepgram/live-close-codes.ts";
import { terminateAfterCut } from "../close-after-cut.ts";
import { checkLiveHandshake } from "./check-live-handshake.ts";
import { parseLiveCaller } from "./parse-live-caller.ts";

/** What the upgrade's preHandler decided, for the socket handler. */
type LiveOpening =
  | {
      readonly ok: true;
      readonly session: LiveSession;
      /** Hands the session to the relay: false when the client already left (the session was closed). */
      readonly claim: () => boolean;
    }
  | {
      readonly ok: false;
      readonly error: unknown;
      /** The session was cut (revocation) while it opened: its refused socket gets the cut's grace. */
      readonly cut: boolean;
    };

declare module "fastify" {
  interface FastifyRequest {
    liveOpening: LiveOpening | null;
  }
}

/** The live sessions of one gateway: opening, opened and not yet relayed, relayed. */
export interface LiveSessions {
  /** Shutdown: openings are aborted, no upgrade completes any more (503), live sessions end with 1001. */
  shutdown(): void;
}

const queryOf = (request: FastifyRequest) => {
  const at = request.url.indexOf("?");
  return new URLSearchParams(at === -1 ? "" : request.url.slice(at + 1));
};

export function registerLiveListenRoute(scope: FastifyInstance, byok: Byok): LiveSessions {
  const maxSessions = byok.config.speechToText.liveMaxSessions;
  const relays = new Set<LiveRelay>();
  /** Sessions still opening (authentication, admission, the provider's handshake). */
  const openings = new Set<AbortController>();
  /** Sessions opened upstream and not yet relayed or abandoned. */
  const opened = new Set<LiveSession>();
  let closing = false;
  const count = () => openings.size + opened.size + relays.size;
  scope.decorateRequest("liveOpening", null);

  new Gauge({
    name: "byok_live_sessions",
    help: "Live speech-to-text sessions open or opening (speechToText.liveMaxSessions caps them).",
    registers: [byok.metrics.registry],
    collect() {
      this.set(count());
    },
  });
  new Gauge({
    name: "byok_live_sessions_limit",
    help: "speechToText.liveMaxSessions: live sessions the gateway holds at once.",
    registers: [byok.metrics.registry],
    collect() {
      this.set(maxSessions);
    },
  });

  // The 101 response says what the session runs on, as X-BYOK-Route and X-BYOK-Status do elsewhere.
  const upgradeHeaders = new WeakMap<IncomingMessage, readonly string[]>();
  scope.websocketServer.on("headers", (headers: string[], raw: IncomingMessage) => {
    headers.push(...(upgradeHeaders.get(raw) ?? []));
  });

  // Each session is an open call from the moment its caller is known, so a revocation while it opens
  // cuts it too (the opening is aborted, or the relay starts cut).
  const openCallOf = new WeakMap<LiveSession, OpenCall>();

  const abandon = (session: LiveSession) => {
    opened.delete(session);
    openCallOf.get(session)?.close();
    byok.pipeline.abandonLive(session);
  };

  /** Authentication, validation, routing, admission and the provider's socket, while watching the client. */
  async function openSession(request: FastifyRequest): Promise<LiveOpening> {
    const controller = new AbortController();
    openings.add(controller);
    const socket = request.raw.socket;
    const onGone = () => controller.abort(new Error("the client went away"));
    // Nobody reads an upgrade's socket until it is accepted, so its end would go unnoticed: read it
    // meanwhile (a client sends nothing before the 101) to learn at once when the client leaves.
    const ignore = () => {};
    socket.on("data", ignore);
    socket.once("end", onGone);
    socket.once("close", onGone);
    let open: OpenCall | null = null;
    let cutWhileOpening = false;
    // Before the credentials are read: a revocation made while they are checked (the awaits of
    // authentication, validation, a ticket's recheck) cuts the session as it registers; an enrollment
    // change after its keys were read cuts it once routed to them.
    const credentials = byok.pipeline.openCalls.mark();
    try {
      if (closing) throw new GatewayError("service_unavailable");
      if (count() > maxSessions) {
        throw new GatewayError("service_unavailable", {
          message: "The gateway holds as many live sessions as it may; retry shortly.",
        });
      }
      const query = queryOf(request);
      const caller = await parseLiveCaller(byok, request, query);
      request.principal = caller.principal;
      request.byok = caller.byok;
      // Cut since its checks (or, checked before a resync, its user gone): refused before anything opens.
      try {
        const marks = { credentials, keys: caller.keysMark };
        open = await byok.pipeline.openCalls.openChecked(
          caller.principal,
          controller.signal,
          undefined,
          marks,
        );
      } catch (error) {
        cutWhileOpening = isCutError(error);
        throw error;
      }
      // The open call goes with it: routing marks it routed (a change of the user's keys since they were
      // read cuts it there, before Deepgram's socket opens; an operator-served one goes on).
      const call: ModelCall = {
        userId: caller.principal.userId,
        plan: caller.principal.plan,
        via: caller.principal.via,
        byok: caller.byok,
        signal: open.signal,
        openCall: open,
      };
      const session = await byok.pipeline.openLive(call, query);
      openCallOf.set(session, open);
      opened.add(session);
      // Until the relay claims it, a client that leaves gets the session closed (and reported).
      let claimed = false;
      const lost = () => {
        if (claimed) return;
        claimed = true;
        abandon(session);
      };
      if (socket.destroyed || socket.readableEnded) lost();
      else socket.once("close", lost);
      return {
        ok: true,
        session,
        claim: () => {
          socket.off("close", lost);
          if (claimed) return false;
          claimed = true;
          return true;
        },
      };
    } catch (error) {
      open?.close();
      // Cut while opening (revocation): the refusal names the cut, not the aborted opening.
      const reason = open?.signal.reason;
      const cut = cutWhileOpening || (open?.signal.aborted === true && isGatewayError(reason));
      return { ok: false, error: cut && !cutWhileOpening ? reason : error, cut };
    } finally {
      openings.delete(controller);
      socket.off("data", ignore);
      socket.off("end", onGone);
      socket.off("close", onGone);
    }
  }

  /** X-Request-Id, X-BYOK-Status and X-BYOK-Route for the 101 response. */
  function buildUpgradeHeaders(request: FastifyRequest, opening: LiveOpening): string[] {
    const said: string[] = [`x-request-id: ${request.id}`];
    if (request.byok !== null) said.push(`x-byok-status: ${request.byok.statusHeader}`);
    const route = opening.ok
      ? opening.session.routeHeader["x-byok-route"]
      : isGatewayError(opening.error)
        ? opening.error.headers["x-byok-route"]
        : undefined;
    if (route !== undefined) said.push(`x-byok-route: ${route}`);
    return said;
  }

  /** A refused session: the accepted socket closes at once with the refusal's code and reason. */
  function refuse(client: LiveSocket, request: FastifyRequest, error: unknown): void {
    const refusal = isGatewayError(error) ? error : new GatewayError("internal_error");
    if (refusal.status >= 500 && refusal.type !== "service_unavailable")
      request.log.error({ err: error }, "live session failed to open");
    else request.log.info({ type: refusal.type, userId: request.principal?.userId }, "live session refused");
    client.close(closeCodeFor(refusal), closeReasonFor(refusal));
  }

  function relay(client: LiveSocket, request: FastifyRequest, session: LiveSession): void {
    opened.delete(session);
    const live = byok.pipeline.relayLive(session, client, {
      onPaused: (slow, queuedBytes) =>
        request.log.debug(
          { slow, queuedBytes, userId: request.principal?.userId },
          "live session paused: one side is slow",
        ),
      onChargeFailed: (error) =>
        request.log.error({ err: error }, "a live session's audio could not be charged"),
    });
    relays.add(live);
    // Registered as open since it was opened: revoking the user (or, on their own key, changing the
    // enrollment) cuts it, also when that happened between its opening and now.
    const open = openCallOf.get(session) ?? byok.pipeline.openCalls.open(session.call, session.call.signal);
    const cutNow = () => {
      const reason = open.signal.reason;
      live.cut(isGatewayError(reason) ? reason : new GatewayError("internal_error"));
      terminateAfterCut(client); // a client that reads no more never answers the close frame
    };
    if (open.signal.aborted) cutNow();
    else open.signal.addEventListener("abort", cutNow, { once: true });
    void live.finished.then(() => {
      relays.delete(live);
      open.close();
    });
  }

  scope.route({
    method: "GET",
    url: "/v1/listen",
    config: { auth: "public", dialect: "deepgram", websocket: true },
    handler: async () => {
      throw new GatewayError("upgrade_required", {
        message: "GET /v1/listen is the live transcription WebSocket: send an upgrade request.",
      });
    },
    // Everything `ws` would refuse is an HTTP answer before anything else; past that, a refusal is a
    // close code on an accepted socket, so browsers can read it.
    preHandler: async (request) => {
      if (!request.ws) return;
      const handshake = checkLiveHandshake(request.headers);
      if (!handshake.ok) throw handshake.error;
      const opening = await openSession(request);
      request.liveOpening = opening;
      upgradeHeaders.set(request.raw, buildUpgradeHeaders(request, opening));
    },
    wsHandler: (client, request) => {
      const opening = request.liveOpening;
      if (opening === null) {
        client.close(LIVE_CLOSE.internalError, "internal_error");
        return;
      }
      if (!opening.ok) {
        refuse(client, request, opening.error);
        if (opening.cut) terminateAfterCut(client);
        return;
      }
      if (!opening.claim()) return; // the client left before its socket opened
      if (closing) {
        abandon(opening.session);
        client.close(LIVE_CLOSE.goingAway, "the gateway is shutting down");
        return;
      }
      relay(client, request, opening.session);
    },
  });

  return {
    shutdown() {
      closing = true;
      for (const controller of openings) controller.abort(new Error("the gateway is shutting down"));
      for (const live of relays) live.shutdown();
    },
  };
}

/**
 * @module http/plugins/request-guards
 * The onRequest guard of every route: admin token or user authentication, then BYOK validation,
 * both before the body is read; X-BYOK-Status set on the reply as soon as it is known (no per-request
 * onSend or onResponse hook: an upgrade answered over HTTP ends its socket from a `finish` listener).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Principal } from "../../auth/principal.ts";
import { GatewayError } from "../../errors/gateway-error.ts";
import type { Byok } from "../../library/create-byok.ts";
import type { RouteDialect } from "../fastify-types.ts";

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();

function createAdminCheck(byok: Byok): (request: FastifyRequest) => void {
  const expected = byok.config.adminToken ? digest(`Bearer ${byok.config.adminToken.reveal()}`) : null;
  return (request) => {
    const presented = request.headers.authorization;
    if (
      expected === null ||
      typeof presented !== "string" ||
      !timingSafeEqual(digest(presented.trim()), expected)
    ) {
      throw new GatewayError("invalid_admin_token");
    }
  };
}

/**
 * The bearer credentials: `Authorization`; on Anthropic-dialect routes also the `x-api-key` header the
 * Anthropic SDK sends its `apiKey` in, and on Deepgram-dialect routes `Authorization: Token <token>`, the
 * Deepgram SDK's form (there they carry the gateway token, never a provider key).
 */
function credentialsOf(request: FastifyRequest, dialect: RouteDialect): string | undefined {
  const authorization = request.headers.authorization;
  if (dialect === "deepgram" && authorization !== undefined) {
    const token = /^Token\s+(\S+)\s*$/i.exec(authorization)?.[1];
    return token === undefined ? authorization : `Bearer ${token}`;
  }
  if (authorization !== undefined || dialect !== "anthropic") return authorization;
  const apiKey = request.headers["x-api-key"];
  return typeof apiKey === "string" && apiKey.trim() !== "" ? `Bearer ${apiKey.trim()}` : undefined;
}

const MISSING_CREDENTIALS: Readonly<Partial<Record<RouteDialect, string>>> = {
  anthropic:
    "Send the gateway token in x-api-key (as the Anthropic SDK does) or Authorization: Bearer <token>.",
  deepgram:
    "Send the gateway token as Authorization: Token <token> (as the Deepgram SDK does) or Bearer <token>.",
};

/** A user's authentication: the per-address limit first, failures counted against the address. */
export async function authenticateUser(
  byok: Byok,
  request: FastifyRequest,
  dialect: RouteDialect,
  // Fastify builds `request.routeOptions` anew on every read: the guard passes the config it read.
  config: FastifyRequest["routeOptions"]["config"] = request.routeOptions.config,
): Promise<Principal> {
  // Read once: with trustProxy naming proxies, each read walks X-Forwarded-For against every entry.
  const address = request.ip;
  byok.anonymousLimit.check(address);
  try {
    return await byok.authenticate(credentialsOf(request, dialect), {
      allowSettingsToken: config.settingsToken === true,
    });
  } catch (error) {
    if (error instanceof GatewayError && error.status === 401)
      await byok.anonymousLimit.recordFailure(address);
    const message = MISSING_CREDENTIALS[dialect];
    if (error instanceof GatewayError && error.type === "missing_credentials" && message !== undefined) {
      throw new GatewayError("missing_credentials", { message });
    }
    throw error;
  }
}

export function registerRequestGuards(app: FastifyInstance, byok: Byok): void {
  app.decorateRequest("principal", null);
  app.decorateRequest("byok", null);
  app.decorateRequest("cutMarks", null);
  const checkAdmin = createAdminCheck(byok);

  app.addHook("onRequest", async (request, reply) => {
    const config = request.routeOptions.config;
    const { auth = "public", byok: byokMode = "skip", dialect = "openai" } = config;
    // Any upgrade request (`Upgrade: websocket`, `h2c`, …): Node hands its raw socket over, outside the HTTP
    // server's connection tracking and time-outs, so one answered over HTTP must end it or it stays open.
    if ((request.raw as { upgrade?: boolean }).upgrade === true) {
      // An upgrade answered over HTTP (refused, or `h2c` answered in HTTP/1.1) ends its socket once written.
      reply.raw.once("finish", () => request.raw.socket?.end());
      // WebSocket upgrades reach only WebSocket routes (elsewhere their URL, which may carry a ticket, would
      // be logged); any other upgrade is ignored, as HTTP allows: the route answers and the socket ends.
      if (config.websocket !== true && request.headers.upgrade?.toLowerCase() === "websocket") {
        throw new GatewayError("not_found", { message: "This route does not take WebSocket upgrades." });
      }
    }
    if (auth === "admin") {
      checkAdmin(request);
      return;
    }
    if (auth !== "user") return;
    // Before the credentials are read: a revocation from now on also ends the call this request opens.
    const { openCalls } = byok.pipeline;
    const credentials = openCalls.mark();
    const principal = await authenticateUser(byok, request, dialect, config);
    // No per-request child logger (a measurable cost on the hot path): lines that need the user add it.
    request.principal = principal;
    // Before the keys are read: an enrollment change from now on cuts the call once routed to them.
    request.cutMarks = { credentials, keys: openCalls.mark() };
    if (byokMode !== "skip") {
      const validated = await byok.validate(principal, request.headers, {
        recovery: byokMode === "recovery",
      });
      request.byok = validated;
      reply.header("x-byok-status", validated.statusHeader);
    }
  });
}

/**
 * @module http/routes/admin-settings-link-routes
 * POST /admin/settings-links: the operator's backend mints a short-lived settings link for one of its users.
 */
import type { FastifyInstance } from "fastify";
import { SETTINGS_TTL } from "../../auth/create-settings-tokens.ts";
import { isUserId } from "../../auth/principal.ts";
import { GatewayError } from "../../errors/gateway-error.ts";
import type { Byok } from "../../library/create-byok.ts";

function readLinkBody(body: unknown): { userId: string; ttlSeconds: number } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new GatewayError("invalid_request", {
      message: 'The body must be a JSON object `{"userId": "...", "ttlSeconds": 900}`.',
    });
  }
  const { userId, ttlSeconds = SETTINGS_TTL.default, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) {
    throw new GatewayError("invalid_request", { message: "Unknown field.", param: unknown });
  }
  if (!isUserId(userId)) {
    throw new GatewayError("invalid_request", {
      message: "userId must be 1–128 letters, digits or ._:@-.",
      param: "userId",
    });
  }
  if (
    typeof ttlSeconds !== "number" ||
    !Number.isInteger(ttlSeconds) ||
    ttlSeconds < SETTINGS_TTL.min ||
    ttlSeconds > SETTINGS_TTL.max
  ) {
    throw new GatewayError("invalid_request", {
      message: `ttlSeconds must be a whole number from ${SETTINGS_TTL.min} to ${SETTINGS_TTL.max}.`,
      param: "ttlSeconds",
    });
  }
  return { userId, ttlSeconds };
}

export function registerAdminSettingsLinkRoutes(app: FastifyInstance, byok: Byok): void {
  app.post("/admin/settings-links", { config: { auth: "admin" } }, async (request, reply) => {
    const { userId, ttlSeconds } = readLinkBody(request.body);
    const user = await byok.store.users.get(userId);
    if (user === null || user.revokedAt !== null) {
      throw new GatewayError("user_not_found", {
        message: "No such user, or the user is revoked.",
        param: "userId",
      });
    }
    const issued = await byok.settingsTokens.issue(userId, ttlSeconds);
    // The token rides in the fragment: browsers never send it to the server or in a Referer.
    return reply
      .status(201)
      .header("cache-control", "no-store")
      .send({ url: `/settings/#token=${issued.token}`, token: issued.token, expiresAt: issued.expiresAt });
  });
}

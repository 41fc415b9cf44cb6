/**
 * @module http/routes/settings-page-routes
 * GET /settings/ and its assets: the client island's built files (dist/client/), only the known names,
 * under a strict CSP; 503 until `npm run build:client` has produced them.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { FastifyInstance, FastifyReply, FastifyRequest, onSendHookHandler } from "fastify";
import { GatewayError } from "../../errors/gateway-error.ts";

/** The page's Content-Security-Policy: its own script and style only, no framing, no forms, no base. */
export const SETTINGS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Every file the page may load, with its type and caching; any other name is a 404 (no listing, no paths). */
export const SETTINGS_ASSETS: Readonly<Record<string, { type: string; cache: string }>> = Object.freeze({
  "settings.html": { type: "text/html; charset=utf-8", cache: "no-store" },
  "settings.js": { type: "text/javascript; charset=utf-8", cache: "no-cache" },
  "settings.css": { type: "text/css; charset=utf-8", cache: "no-cache" },
});

const securityHeaders: onSendHookHandler = (_request, reply, payload, done) => {
  reply.header("content-security-policy", SETTINGS_CSP);
  reply.header("x-content-type-options", "nosniff");
  reply.header("referrer-policy", "no-referrer");
  reply.header("x-frame-options", "DENY");
  reply.header("cross-origin-opener-policy", "same-origin");
  reply.header("cross-origin-resource-policy", "same-origin");
  if (!reply.hasHeader("cache-control")) reply.header("cache-control", "no-store");
  done(null, payload);
};

export function registerSettingsPageRoutes(app: FastifyInstance, clientDir: string): void {
  async function send(name: string, reply: FastifyReply) {
    const asset = Object.hasOwn(SETTINGS_ASSETS, name) ? SETTINGS_ASSETS[name] : undefined;
    if (asset === undefined) throw new GatewayError("not_found", { message: "No such settings page file." });
    let content: Buffer;
    try {
      content = await readFile(join(clientDir, name));
    } catch {
      throw new GatewayError("service_unavailable", {
        message: "The settings page is not built: run `npm run build:client`.",
        code: "settings_page_not_built",
      });
    }
    return reply.header("content-type", asset.type).header("cache-control", asset.cache).send(content);
  }
  const options = { config: { auth: "public" as const }, onSend: securityHeaders };
  app.get("/settings/", options, (request: FastifyRequest, reply) => {
    // Relative asset URLs need the trailing slash; the #token fragment survives the redirect.
    if (request.url.split("?")[0] === "/settings") return reply.redirect("/settings/", 308);
    return send("settings.html", reply);
  });
  app.get<{ Params: { asset: string } }>("/settings/:asset", options, (request, reply) =>
    send(request.params.asset, reply),
  );
}

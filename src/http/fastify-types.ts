/**
 * @module http/fastify-types
 * What the gateway hangs on Fastify's request and route config: the principal, the BYOK context, guards.
 */
import type { Principal } from "../auth/principal.ts";
import type { CutMarks } from "../pipeline/index.ts";
import type { ByokContext } from "../validation/byok-context.ts";

/** Who may call a route: a user (bearer token), the operator (admin token) or anyone. */
export type RouteAuth = "user" | "admin" | "public";
/** How a user route treats X-BYOK-* keys: reject mismatches, strip them (recovery paths), or skip. */
export type RouteByok = "enforce" | "recovery" | "skip";
/**
 * The ingress dialect: errors answer in its envelope; Anthropic routes also accept the token in
 * `x-api-key`, Deepgram routes in `Authorization: Token` (as the Deepgram SDK sends it).
 */
export type RouteDialect = "openai" | "anthropic" | "deepgram";

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | null;
    byok: ByokContext | null;
    /** The open-call registry's marks taken before the user's credentials and keys were read (a model call's). */
    cutMarks: CutMarks | null;
  }
  interface FastifyContextConfig {
    auth?: RouteAuth;
    byok?: RouteByok;
    dialect?: RouteDialect;
    /** The route accepts settings tokens (`bst_…`) besides the user's token: the settings page's endpoints only. */
    settingsToken?: boolean;
    /** The route takes WebSocket upgrades; every other route refuses them with a 404. */
    websocket?: boolean;
  }
}

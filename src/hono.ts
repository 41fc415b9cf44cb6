/**
 * @module hono
 * The `byok-gateway/hono` entry: the Hono middleware and the BYOK endpoints as a sub-app.
 */
export { type ByokHonoEnv, byokHono, byokHonoEndpoints } from "./adapters/hono.ts";

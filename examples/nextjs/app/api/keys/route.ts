/**
 * @module examples/nextjs/app/api/keys/route
 * A guarded route handler: it runs only for an authenticated user with valid keys, in their context.
 */
import { createFetchHandler, requireContext } from "byok-gateway";
import { byok } from "../../../lib/byok.ts";

export const GET = createFetchHandler(byok, async () => {
  const { principal, byok: validated } = requireContext(); // this request's validated keys only
  return Response.json({ userId: principal.userId, providers: Object.keys(validated.keys) });
});

/**
 * @module examples/nextjs/app/health/route
 * Not guarded: answers without authentication.
 */
export function GET(): Response {
  return Response.json({ ok: true });
}

/**
 * @module examples/nextjs/app/signup/route
 * Your app's own sign-up (behind your own login in a real app): a gateway user and their token.
 */
import { byok } from "../../lib/byok.ts";

export async function POST(): Promise<Response> {
  return Response.json(await byok.admin.users.create({ id: `user-${crypto.randomUUID()}` }), { status: 201 });
}

/**
 * @module http/routes/admin-user-routes
 * /admin/users: create (token shown once), list, issue another token, revoke. Registered only with an admin token.
 */
import type { FastifyInstance } from "fastify";
import { GatewayError } from "../../errors/gateway-error.ts";
import type { Byok } from "../../library/create-byok.ts";

const admin = { auth: "admin" } as const;

function readCreateBody(body: unknown): { id: unknown; plan: unknown } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new GatewayError("invalid_request", { message: 'The body must be a JSON object `{"id": "..."}`.' });
  }
  const { id, plan = null } = body as Record<string, unknown>;
  return { id, plan };
}

export function registerAdminUserRoutes(app: FastifyInstance, byok: Byok): void {
  app.post("/admin/users", { config: admin }, async (request, reply) => {
    const { id, plan } = readCreateBody(request.body);
    const created = await byok.users.addUser(id as string, plan as string | null);
    return reply.status(201).send(created);
  });
  app.get("/admin/users", { config: admin }, async () => ({
    data: (await byok.users.listUsers()).map((user) => ({
      id: user.id,
      plan: user.plan,
      createdAt: new Date(user.createdAt).toISOString(),
      revokedAt: user.revokedAt === null ? null : new Date(user.revokedAt).toISOString(),
    })),
  }));
  app.post<{ Params: { id: string } }>("/admin/users/:id/tokens", { config: admin }, async (request, reply) =>
    reply.status(201).send(await byok.users.issueToken(request.params.id)),
  );
  app.delete<{ Params: { id: string } }>("/admin/users/:id", { config: admin }, async (request) => {
    await byok.users.revokeUser(request.params.id);
    return { id: request.params.id, revoked: true };
  });
}

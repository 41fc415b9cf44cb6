/**
 * @module http/routes/enrollment-routes
 * PUT/GET/DELETE /v1/byok/enrollment and POST /v1/byok/heartbeat: recovery paths that strip stale keys.
 */
import type { FastifyInstance } from "fastify";
import type { Byok } from "../../library/create-byok.ts";

const recovery = { auth: "user", byok: "recovery" } as const;

export function registerEnrollmentRoutes(app: FastifyInstance, byok: Byok): void {
  app.put("/v1/byok/enrollment", { config: recovery }, (request) =>
    byok.enrollment.enroll(request.principal!.userId, request.body),
  );
  app.get("/v1/byok/enrollment", { config: recovery }, (request) =>
    byok.enrollment.status(request.principal!.userId),
  );
  app.delete("/v1/byok/enrollment", { config: recovery }, (request) =>
    byok.enrollment.remove(request.principal!.userId),
  );
  app.post("/v1/byok/heartbeat", { config: recovery }, (request) =>
    byok.enrollment.heartbeat(request.principal!.userId),
  );
}

/**
 * @module http/routes/enrollment-routes
 * PUT/GET/DELETE /v1/byok/enrollment, POST /v1/byok/heartbeat, POST /v1/byok/verify and GET /v1/byok/routes:
 * recovery paths that strip stale keys (verify reads the keys as presented), open to settings tokens.
 */
import type { FastifyInstance } from "fastify";
import type { Byok } from "../../library/create-byok.ts";

/** Recovery paths, open to settings tokens (the settings page calls them). */
const recovery = { auth: "user", byok: "recovery", settingsToken: true } as const;

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
  // Checks the keys as presented (never the enrollment's verdict on them): no validation step at all.
  app.post("/v1/byok/verify", { config: { ...recovery, byok: "skip" } }, (request) =>
    byok.verifyKeys(request.principal!.userId, request.headers),
  );
  app.get("/v1/byok/routes", { config: recovery }, (request) => byok.pipeline.previewRoutes(request.byok!));
}

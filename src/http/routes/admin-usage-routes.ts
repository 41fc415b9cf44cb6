/**
 * @module http/routes/admin-usage-routes
 * The operator's view of plans and usage: a user's plan and usage report, and usage over time by
 * user or for everyone. Registered only with an admin token.
 */
import type { FastifyInstance } from "fastify";
import { GatewayError } from "../../errors/gateway-error.ts";
import type { Byok } from "../../library/create-byok.ts";

const admin = { auth: "admin" } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

function readTime(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = typeof value === "string" ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(parsed)) {
    throw new GatewayError("invalid_request", {
      message: `\`${name}\` must be an ISO 8601 date or time.`,
      param: name,
    });
  }
  return parsed;
}

function readPlanBody(body: unknown): string | null {
  const plan = (body as { plan?: unknown } | null)?.plan;
  if (typeof body !== "object" || body === null || Array.isArray(body) || plan === undefined) {
    throw new GatewayError("invalid_request", {
      message: 'The body must be `{"plan": "<name>"}` or `{"plan": null}` (the default plan).',
      param: "plan",
    });
  }
  return plan as string | null;
}

export function registerAdminUsageRoutes(app: FastifyInstance, byok: Byok): void {
  app.put<{ Params: { id: string } }>("/admin/users/:id/plan", { config: admin }, async (request) => {
    const plan = readPlanBody(request.body);
    await byok.users.setPlan(request.params.id, plan);
    return { id: request.params.id, plan };
  });

  app.get<{ Params: { id: string } }>("/admin/users/:id/usage", { config: admin }, async (request) => {
    const user = await byok.store.users.get(request.params.id);
    if (user === null) throw new GatewayError("user_not_found");
    return byok.usage.report(user.id, user.plan);
  });

  app.get<{ Querystring: Record<string, string | undefined> }>(
    "/admin/usage",
    { config: admin },
    async (request) => {
      const { user, bucket = "day" } = request.query;
      if (bucket !== "day" && bucket !== "hour") {
        throw new GatewayError("invalid_request", {
          message: "`bucket` is `day` or `hour`.",
          param: "bucket",
        });
      }
      const to = readTime(request.query.to, "to", Date.now());
      const from = readTime(request.query.from, "from", to - 30 * DAY_MS);
      if (from >= to)
        throw new GatewayError("invalid_request", { message: "`from` must be before `to`.", param: "from" });
      const series = await byok.usage.overTime({
        ...(user === undefined ? {} : { userId: user }),
        from,
        to,
        bucket,
      });
      // Every time in the API is an ISO 8601 timestamp, bucket starts included.
      return {
        data: series.data.map((row) => ({ ...row, bucketStart: new Date(row.bucketStart).toISOString() })),
      };
    },
  );
}

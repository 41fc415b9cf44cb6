/**
 * @module examples/hono/app
 * byok-gateway in a Hono app (served by Bun, Deno, workers or `@hono/node-server`'s `serve(app)`).
 */
import { createByok, loadConfig } from "byok-gateway";
import { type ByokHonoEnv, byokHono, byokHonoEndpoints } from "byok-gateway/hono";
import { Hono } from "hono";

export const byok = await createByok({ config: loadConfig() }); // BYOK_PEPPER, BYOK_DATA_DIR, … from the environment
const app = new Hono<ByokHonoEnv>();

app.get("/health", (c) => c.json({ ok: true })); // not guarded

// Your app's own sign-up (behind your own login in a real app): a gateway user and their token.
app.post("/signup", async (c) =>
  c.json(await byok.admin.users.create({ id: `user-${crypto.randomUUID()}` }), 201),
);

app.use("/api/*", byokHono(byok)); // guards /api/* only
app.get("/api/keys", (c) => {
  const { principal, byok: validated } = c.get("byok"); // or requireContext(), anywhere below
  return c.json({ userId: principal.userId, providers: Object.keys(validated.keys) });
});

// PUT/GET/DELETE /v1/byok/enrollment, /v1/byok/heartbeat, /v1/byok/verify, /v1/usage, …
app.route("/", byokHonoEndpoints(byok));

export default app;

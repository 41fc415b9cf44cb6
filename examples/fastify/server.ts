/**
 * @module examples/fastify/server
 * byok-gateway in a Fastify app: the BYOK endpoints mounted, one guarded scope, one open route.
 */
import { createByok, loadConfig, requireContext } from "byok-gateway";
import { byokFastify, byokFastifyEndpoints } from "byok-gateway/fastify";
import Fastify from "fastify";

const byok = await createByok({ config: loadConfig() }); // BYOK_PEPPER, BYOK_DATA_DIR, … from the environment
const app = Fastify({ logger: true });

// PUT/GET/DELETE /v1/byok/enrollment, /v1/byok/heartbeat, /v1/byok/verify, /v1/usage, …
await app.register(byokFastifyEndpoints, { byok });

app.get("/health", async () => ({ ok: true })); // not guarded

// Your app's own sign-up (behind your own login in a real app): a gateway user and their token.
app.post("/signup", async (_request, reply) =>
  reply.code(201).send(await byok.admin.users.create({ id: `user-${crypto.randomUUID()}` })),
);

// Every route of this scope is guarded; nothing outside it is.
await app.register(
  async (api) => {
    await api.register(byokFastify, { byok });
    api.get("/keys", async () => {
      const { principal, byok: validated } = requireContext(); // this request's validated keys only
      return { userId: principal.userId, providers: Object.keys(validated.keys) };
    });
  },
  { prefix: "/api" },
);

app.addHook("onClose", () => byok.close());
process.once("SIGTERM", () => void app.close());
await app.listen({ port: Number(process.env.PORT ?? 3000), host: "127.0.0.1" });

/**
 * @module examples/express/server
 * byok-gateway in a Connect-style Node server. With Express it is the same two calls:
 * `app.use(createNodeEndpoints(byok))` and `app.use("/api", createNodeMiddleware(byok))`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import {
  createByok,
  createNodeEndpoints,
  createNodeMiddleware,
  loadConfig,
  requireContext,
} from "byok-gateway";

// BYOK_PEPPER, BYOK_DATA_DIR, provider keys…: from the environment (docs/configuration.md).
const byok = await createByok({ config: loadConfig() });
const endpoints = createNodeEndpoints(byok); // PUT/GET/DELETE /v1/byok/enrollment, /v1/byok/heartbeat, …
const guard = createNodeMiddleware(byok); // auth + X-BYOK-* validation + X-BYOK-Status

type Next = (error?: unknown) => void;
type Handler = (request: IncomingMessage, response: ServerResponse, next: Next) => void;

const json = (response: ServerResponse, status: number, body: unknown) => {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
};

// Your app's own sign-up (behind your own login in a real app): a gateway user and their token.
const signup: Handler = (_request, response) => {
  const id = `user-${crypto.randomUUID()}`;
  byok.admin.users.create({ id }).then(
    (user) => json(response, 201, user),
    () => json(response, 500, {}),
  );
};

// Guarded: runs inside the request context, with this request's validated keys only.
const keys: Handler = (_request, response) => {
  const { principal, byok: validated } = requireContext();
  // validated.keys.openai?.reveal() is where you would write the provider's auth header.
  json(response, 200, { userId: principal.userId, providers: Object.keys(validated.keys) });
};

const routes: Record<string, Handler[]> = {
  "GET /health": [(_request, response) => json(response, 200, { ok: true })], // not guarded
  "POST /signup": [signup],
  "GET /api/keys": [guard, keys], // guarded: only the routes that list the guard
};

const server = createServer((request, response) => {
  const chain = [endpoints, ...(routes[`${request.method} ${request.url}`] ?? [])];
  const run = (index: number): void => {
    const handler = chain[index];
    if (handler === undefined) json(response, 404, { error: { message: "Not found" } });
    else handler(request, response, (error) => (error ? json(response, 500, {}) : run(index + 1)));
  };
  run(0);
});

server.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  const address = server.address();
  console.log(`Server listening at http://127.0.0.1:${typeof address === "object" ? address?.port : ""}`);
});
process.once("SIGTERM", () => server.close(() => void byok.close()));

/**
 * @module test/support/adapter-apps
 * The same small app built on every framework adapter (Node/Connect, Fastify plugin, Fastify route hooks,
 * Hono, fetch-style): `GET /open` unguarded, `GET /guarded/me` guarded (the context after an await),
 * the BYOK endpoints under `/api`. The adapter conformance suite runs against each.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { setImmediate as nextTurn } from "node:timers/promises";
import Fastify from "fastify";
import { Hono } from "hono";
import { byokFastify, byokFastifyEndpoints, createByokHooks } from "../../src/fastify.ts";
import { byokHono, byokHonoEndpoints } from "../../src/hono.ts";
import {
  type Byok,
  createFetchEndpoints,
  createFetchHandler,
  createNodeEndpoints,
  createNodeMiddleware,
  currentContext,
  requireContext,
} from "../../src/index.ts";
import { serveFetch } from "./serve-fetch.ts";

export interface AdapterApp {
  readonly url: string;
  close(): Promise<void>;
}

export type AdapterName = "node" | "fastify-plugin" | "fastify-hooks" | "hono" | "fetch";
export const ADAPTERS: readonly AdapterName[] = ["node", "fastify-plugin", "fastify-hooks", "hono", "fetch"];

/** What `/guarded/me` answers: read from the request context after an await. */
export interface GuardedAnswer {
  readonly userId: string;
  readonly status: string;
  readonly accepted: string[];
}

async function guardedAnswer(): Promise<GuardedAnswer> {
  await nextTurn(); // the context survives an await
  const context = requireContext();
  return {
    userId: context.principal.userId,
    status: context.byok.status,
    accepted: Object.keys(context.byok.keys),
  };
}

const openAnswer = () => ({ open: true, context: currentContext()?.principal.userId ?? null });

async function startNode(byok: Byok, prefix: string): Promise<AdapterApp> {
  const guard = createNodeMiddleware(byok);
  const endpoints = createNodeEndpoints(byok, { prefix });
  const server = createServer((request, response) => {
    const fail = () => {
      response.statusCode = 500;
      response.end();
    };
    const json = (body: unknown) => {
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify(body));
    };
    endpoints(request, response, (error) => {
      if (error) return fail();
      if (request.url === "/open") return json(openAnswer());
      if (request.url === "/guarded/me") {
        return guard(request, response, (guardError) => {
          if (guardError) return fail();
          guardedAnswer().then(json, fail);
        });
      }
      response.statusCode = 404;
      response.end();
    });
  });
  server.listen(0, "127.0.0.1");
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function startFastify(byok: Byok, form: "plugin" | "hooks", prefix: string): Promise<AdapterApp> {
  const app = Fastify();
  app.get("/open", async () => openAnswer());
  if (form === "plugin") {
    await app.register(async (guarded) => {
      await guarded.register(byokFastify, { byok });
      guarded.get("/guarded/me", () => guardedAnswer());
    });
  } else {
    app.get("/guarded/me", { ...createByokHooks(byok) }, () => guardedAnswer());
  }
  await app.register(byokFastifyEndpoints, { byok, prefix });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  return { url, close: () => app.close() };
}

function startHono(byok: Byok, prefix: string): Promise<AdapterApp> {
  const app = new Hono();
  app.get("/open", (c) => c.json(openAnswer()));
  app.use("/guarded/*", byokHono(byok));
  app.get("/guarded/me", async (c) => c.json(await guardedAnswer()));
  app.route(prefix === "" ? "/" : prefix, byokHonoEndpoints(byok));
  return serveFetch((request) => app.fetch(request));
}

function startFetch(byok: Byok, prefix: string): Promise<AdapterApp> {
  const endpoints = createFetchEndpoints(byok, { prefix });
  const me = createFetchHandler(byok, async () => Response.json(await guardedAnswer()));
  return serveFetch((request) => {
    const { pathname } = new URL(request.url);
    if (pathname === "/open") return Response.json(openAnswer());
    if (pathname === "/guarded/me") return me(request);
    return endpoints(request);
  });
}

/** The app on `name`, the endpoints under `prefix` (`/api` by default; `""`: at the gateway's own paths). */
export function startAdapterApp(name: AdapterName, byok: Byok, prefix = "/api"): Promise<AdapterApp> {
  switch (name) {
    case "node":
      return startNode(byok, prefix);
    case "fastify-plugin":
      return startFastify(byok, "plugin", prefix);
    case "fastify-hooks":
      return startFastify(byok, "hooks", prefix);
    case "hono":
      return startHono(byok, prefix);
    case "fetch":
      return startFetch(byok, prefix);
  }
}

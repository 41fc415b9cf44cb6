/**
 * @module examples/nextjs/app/api/byok/route
 * The BYOK endpoints under /api/byok: /api/byok/v1/byok/enrollment, /api/byok/v1/usage, …
 */
import { createFetchEndpoints } from "byok-gateway";
import { byok } from "../../../../lib/byok.ts";

const endpoints = createFetchEndpoints(byok, { prefix: "/api/byok" });

export const GET = endpoints;
export const PUT = endpoints;
export const POST = endpoints;
export const DELETE = endpoints;

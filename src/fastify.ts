/**
 * @module fastify
 * The `byok-gateway/fastify` entry: the Fastify plugin, route hooks and mountable BYOK endpoints.
 */
export {
  type ByokFastifyEndpointsOptions,
  type ByokFastifyHooks,
  type ByokFastifyOptions,
  byokFastify,
  byokFastifyEndpoints,
  createByokHooks,
} from "./adapters/fastify.ts";

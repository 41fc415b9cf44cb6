/**
 * @module http/lazy-schema-compilers
 * Fastify's schema compilers (Ajv, fast-json-stringify), loaded on the first route that has a schema rather than
 * when the server is built: no gateway route declares one, so a serving process never loads them.
 */
import { createRequire } from "node:module";
import type { FastifyServerOptions } from "fastify";

type CompilersFactory = NonNullable<
  NonNullable<FastifyServerOptions["schemaController"]>["compilersFactory"]
>;
type Factory = (...args: unknown[]) => unknown;

/** Fastify's own defaults, resolved from Fastify's package as Fastify resolves them. */
const fromFastify = createRequire(createRequire(import.meta.url).resolve("fastify"));
let validator: Factory | undefined;
let serializer: Factory | undefined;

/** The `schemaController` option: Fastify's default compilers, each loaded when first asked for. */
export const lazySchemaController = {
  compilersFactory: {
    buildValidator: ((...args: unknown[]) => {
      validator ??= (fromFastify("@fastify/ajv-compiler") as () => Factory)();
      return validator(...args);
    }) as CompilersFactory["buildValidator"],
    buildSerializer: ((...args: unknown[]) => {
      serializer ??= (fromFastify("@fastify/fast-json-stringify-compiler") as () => Factory)();
      return serializer(...args);
    }) as CompilersFactory["buildSerializer"],
  },
} satisfies FastifyServerOptions["schemaController"];

/**
 * @module http/lazy-schema-compilers
 * Fastify's schema compilers (Ajv, fast-json-stringify), loaded on the first route that has a schema rather than
 * when the server is built: no gateway route declares one, so a serving process never loads them.
 */
import { createRequire } from "node:module";
import type { FastifyInstance, FastifyServerOptions } from "fastify";

type SchemaControllerOptions = NonNullable<FastifyServerOptions["schemaController"]>;
type CompilersFactory = NonNullable<SchemaControllerOptions["compilersFactory"]>;
type Factory = (...args: unknown[]) => unknown;

/** Fastify's own defaults, resolved from Fastify's package as Fastify resolves them. */
const fromFastify = createRequire(createRequire(import.meta.url).resolve("fastify"));

/**
 * The `schemaController` option of one server: Fastify's default compilers, each made when first asked for. One
 * per server, as Fastify's default is: the validator keeps a pool of Ajv instances that goes with its server.
 */
export function lazySchemaController(): SchemaControllerOptions {
  let validator: Factory | undefined;
  let serializer: Factory | undefined;
  return {
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
  };
}

/**
 * Fastify takes any `buildValidator` for a custom compiler, and for a custom one it no longer lower-cases the
 * names in a route's header schema (request headers are lower-case) nor warns about its unsafe forms. These are
 * Fastify's own compilers, so the server is marked back as using the default. Called right after `Fastify()`,
 * before anything registers (child contexts copy the mark). Should a Fastify release move the mark, nothing
 * changes but header schemas' case (no gateway route has one); `test/http/lazy-schema-compilers` pins it.
 */
export function keepDefaultValidation(
  app: FastifyInstance,
  load: (id: string) => unknown = fromFastify,
): void {
  let kSchemaController: symbol | undefined;
  try {
    ({ kSchemaController } = load("./lib/symbols.js") as { kSchemaController?: symbol });
  } catch {
    return; // a Fastify without that file: its own flag stays
  }
  if (kSchemaController === undefined) return;
  const controller = (app as unknown as Record<symbol, { isCustomValidatorCompiler?: unknown } | undefined>)[
    kSchemaController
  ];
  if (controller !== undefined && controller.isCustomValidatorCompiler === true)
    controller.isCustomValidatorCompiler = false;
}

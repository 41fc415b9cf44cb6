/**
 * @module http/plugins/lazy-request-loggers
 * Request loggers come to life only when a line is written (most requests write none), made through
 * Fastify's default child-logger path: a custom `childLoggerFactory` costs a check of every logger it makes.
 */
import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import type { Bindings, ChildLoggerOptions } from "pino";
import { createLazyChildLogger, type Logger } from "../../telemetry/index.ts";

/**
 * Fastify makes each request's logger with `logger.child(bindings, options)` of its own root logger and checks
 * the result of a custom factory only (an array, a filter and seven look-ups per request). The root logger's
 * `child` is therefore replaced, before any request, with one that hands out lazy children; a child asked for
 * its own level (a route's `logLevel`) is made at once, as before (`createLazyChildLogger`).
 */
type PinoChild = (this: object, bindings: Bindings, options: ChildLoggerOptions) => object;

export function registerLazyRequestLoggers(app: FastifyInstance): void {
  const root = app.log as unknown as Logger;
  const pinoChild = root.child as unknown as PinoChild;
  // What a lazy child materializes from: the root with pino's own `child` (the lazy one would recurse).
  const parent = Object.create(root, { child: { value: pinoChild.bind(root) } }) as Logger;
  // Pino's children inherit this property: theirs (a request logger's own children) stay pino's, eager.
  function child(this: object, bindings: Bindings, options: ChildLoggerOptions = {}): FastifyBaseLogger {
    return (this === root
      ? createLazyChildLogger(parent, bindings, options)
      : pinoChild.call(this, bindings, options)) as unknown as FastifyBaseLogger;
  }
  Object.defineProperty(root, "child", { value: child, writable: true, configurable: true });
}

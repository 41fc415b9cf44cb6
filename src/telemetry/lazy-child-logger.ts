/**
 * @module telemetry/lazy-child-logger
 * A request's child logger created only when a line is actually written at an enabled level: creating a
 * pino child per request (its bindings serialized) is a measurable cost on the hot path.
 */
import type { Bindings, ChildLoggerOptions, Level, Logger } from "pino";

export class LazyChildLogger {
  readonly #parent: Logger;
  readonly #bindings: Bindings;
  readonly #options: ChildLoggerOptions;
  #child: Logger | null = null;

  constructor(parent: Logger, bindings: Bindings, options: ChildLoggerOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  #get(): Logger {
    this.#child ??= this.#parent.child(this.#bindings, this.#options);
    return this.#child;
  }

  get level(): string {
    return (this.#child ?? this.#parent).level;
  }
  set level(level: string) {
    this.#get().level = level;
  }
  isLevelEnabled(level: string): boolean {
    return (this.#child ?? this.#parent).isLevelEnabled(level);
  }
  #write(level: Level, args: unknown[]): void {
    if (!this.isLevelEnabled(level)) return;
    (this.#get()[level] as (...values: unknown[]) => void)(...args);
  }
  fatal(...args: unknown[]): void {
    this.#write("fatal", args);
  }
  error(...args: unknown[]): void {
    this.#write("error", args);
  }
  warn(...args: unknown[]): void {
    this.#write("warn", args);
  }
  info(...args: unknown[]): void {
    this.#write("info", args);
  }
  debug(...args: unknown[]): void {
    this.#write("debug", args);
  }
  trace(...args: unknown[]): void {
    this.#write("trace", args);
  }
  silent(): void {}
  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.#get().child(bindings, options);
  }
  bindings(): Bindings {
    return this.#get().bindings();
  }
}

/** Fastify's `childLoggerFactory`: eager only when the route asks for its own level. */
export function createLazyChildLogger(
  parent: Logger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): Logger {
  if (options.level !== undefined) return parent.child(bindings, options);
  return new LazyChildLogger(parent, bindings, options) as unknown as Logger;
}

/**
 * @module egress/undici-parts
 * The parts of undici the gateway calls with (pools, the agent, the connector, errors, header parsing), loaded
 * from their own files: undici's index also loads its fetch, WebSocket, cache and cookie modules, and the
 * cookies read `globalThis.Headers`, which loads Node's own copy of undici too: about 2 MiB of heap and 3 MiB
 * of RSS in the idle gateway (docs/benchmarks.md, "Night round"). Guarded fetch, which
 * needs undici's fetch, loads the index when first called.
 * `test/egress/undici-parts.test.ts` checks each part is the very object undici's index exports, so an
 * undici update that moves a file fails in this project's CI; installed past the lockfile, it falls back to the index.
 */
import { createRequire } from "node:module";
import type * as Undici from "undici";

/** The values the gateway takes from undici. */
export interface UndiciParts {
  readonly Pool: typeof Undici.Pool;
  readonly Agent: typeof Undici.Agent;
  readonly buildConnector: typeof Undici.buildConnector;
  readonly errors: typeof Undici.errors;
  readonly util: typeof Undici.util;
}

/**
 * The parts from their own files; from undici's index when a file is missing or not what it was (an undici
 * release that moved one, installed past this project's lockfile), so the gateway still starts, only heavier.
 */
export function loadUndiciParts(load: (id: string) => unknown): UndiciParts {
  try {
    const dispatcher = load("undici/lib/dispatcher/dispatcher.js") as { prototype: object };
    const api = load("undici/lib/api/index.js") as Record<string, unknown>;
    const core = load("undici/lib/core/util.js") as typeof Undici.util;
    const parts: UndiciParts = {
      Pool: load("undici/lib/dispatcher/pool.js") as typeof Undici.Pool,
      Agent: load("undici/lib/dispatcher/agent.js") as typeof Undici.Agent,
      buildConnector: load("undici/lib/core/connect.js") as typeof Undici.buildConnector,
      errors: load("undici/lib/core/errors.js") as typeof Undici.errors,
      util: { parseHeaders: core.parseHeaders, headerNameToString: core.headerNameToString },
    };
    const shapes = [
      parts.Pool,
      parts.Agent,
      parts.buildConnector,
      api.request,
      api.stream,
      core.parseHeaders,
    ];
    if (shapes.some((part) => typeof part !== "function") || typeof parts.errors?.UndiciError !== "function")
      throw new Error("undici's files are not the ones this module knows");
    // What undici's index does when loaded, and the one thing of it the parts need: every dispatcher gets the
    // request/stream/pipeline/connect/upgrade methods (the same functions: loading the index later changes nothing).
    Object.assign(dispatcher.prototype, api);
    return parts;
  } catch {
    const index = load("undici") as typeof Undici;
    const { Pool, Agent, buildConnector, errors, util } = index;
    return { Pool, Agent, buildConnector, errors, util };
  }
}

export const { Pool, Agent, buildConnector, errors, util } = loadUndiciParts(createRequire(import.meta.url));

export type Pool = Undici.Pool;
export type Agent = Undici.Agent;

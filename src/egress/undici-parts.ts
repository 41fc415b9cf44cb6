/**
 * @module egress/undici-parts
 * The parts of undici the gateway calls with (pools, the agent, the connector, errors, header parsing), loaded
 * from their own files: undici's index also loads its fetch, WebSocket, cache and cookie modules, and the
 * cookies read `globalThis.Headers`, which loads Node's own copy of undici too. Together that is about
 * 14 MiB of RSS and 3.5 MiB of heap per process (docs/benchmarks.md, "Night round"). Guarded fetch, which
 * needs undici's fetch, loads the index when first called.
 * `test/egress/undici-parts.test.ts` checks each part is the very object undici's index exports, so an
 * undici update that moves a file fails there rather than in production.
 */
import { createRequire } from "node:module";
import type * as Undici from "undici";

const require = createRequire(import.meta.url);

// What undici's index does when loaded, and the one thing of it the parts need: every dispatcher gets the
// request/stream/pipeline/connect/upgrade methods (the same functions, so loading the index later changes nothing).
Object.assign(require("undici/lib/dispatcher/dispatcher.js").prototype, require("undici/lib/api/index.js"));

export const Pool: typeof Undici.Pool = require("undici/lib/dispatcher/pool.js");
export const Agent: typeof Undici.Agent = require("undici/lib/dispatcher/agent.js");
export const buildConnector: typeof Undici.buildConnector = require("undici/lib/core/connect.js");
export const errors: typeof Undici.errors = require("undici/lib/core/errors.js");

const core = require("undici/lib/core/util.js") as typeof Undici.util;
/** What undici's index exports as `util`, from the same functions. */
export const util: typeof Undici.util = {
  parseHeaders: core.parseHeaders,
  headerNameToString: core.headerNameToString,
};

export type Pool = Undici.Pool;
export type Agent = Undici.Agent;

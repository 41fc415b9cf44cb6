/**
 * @module bench/peers/phase-log
 * Preloaded into the gateway (`NODE_OPTIONS=--import=<this file>`, with `BENCH_PHASE_LOG=<file>`): for requests
 * served one at a time, the wall-clock phases of each, from Node's and undici's diagnostics channels (no change
 * to the gateway): ingress and pipeline until the upstream request exists, its write, the upstream's wait, the
 * answer's way to the first byte written to the client, and the rest. Every 100 requests it rewrites the file
 * with each phase's median over the last 300, in µs, as JSON.
 */
import { subscribe } from "node:diagnostics_channel";
import { writeFileSync } from "node:fs";
import { Socket } from "node:net";

const file = process.env.BENCH_PHASE_LOG;
if (file !== undefined) {
  type Row = Record<string, number>;
  const now = () => Number(process.hrtime.bigint()) / 1000;
  /** The request being answered (requests are sent one at a time). */
  let current: Row | null = null;
  const rows: Row[] = [];
  const mark = (name: string) => {
    if (current !== null && current[name] === undefined) current[name] = now();
  };
  const PHASES = [
    ["start", "create", "ingress and pipeline until the upstream request exists"],
    ["create", "sent", "the upstream request written"],
    ["sent", "headers", "the upstream's answer headers"],
    ["headers", "firstWrite", "to the first byte written to the client"],
    ["firstWrite", "finish", "the rest of the response"],
  ] as const;
  const median = (values: number[]) => values.sort((a, b) => a - b)[values.length >> 1] ?? Number.NaN;
  subscribe("http.server.request.start", () => {
    current = { start: now() };
  });
  subscribe("undici:request:create", () => mark("create"));
  subscribe("undici:client:sendHeaders", () => mark("sent"));
  subscribe("undici:request:headers", () => mark("headers"));
  subscribe("http.server.response.finish", () => {
    if (current === null) return;
    current.finish = now();
    rows.push(current);
    current = null;
    if (rows.length % 100 !== 0) return;
    const last = rows.slice(-300);
    const phases = PHASES.map(([from, to, what]) => ({
      what,
      us: median(
        last.map((row) => (row[to] ?? Number.NaN) - (row[from] ?? Number.NaN)).filter(Number.isFinite),
      ),
    }));
    writeFileSync(file, JSON.stringify({ requests: rows.length, phases }));
  });
  // The first write of a response to the client's socket (a server socket) once the upstream answered.
  type WriteGeneric = (this: Socket, ...args: unknown[]) => unknown;
  const prototype = Socket.prototype as unknown as { _writeGeneric: WriteGeneric };
  const write = prototype._writeGeneric;
  prototype._writeGeneric = function (this: Socket & { server?: unknown }, ...args: unknown[]) {
    if (current?.headers !== undefined && this.server !== undefined) mark("firstWrite");
    return write.apply(this, args);
  };
}

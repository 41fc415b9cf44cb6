/**
 * @module test/telemetry/lazy-child-logger
 * The request logger: no pino child is built until a line is written at an enabled level, and lines
 * carry the request's bindings exactly as an eager child's would.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createLazyChildLogger, createLogger } from "../../src/telemetry/index.ts";
import { captureLogs } from "../support/start-gateway.ts";

test("no child is built for disabled levels; enabled lines carry the bindings", () => {
  const { logs, destination } = captureLogs();
  const parent = createLogger({ level: "warn", destination });
  let children = 0;
  const child = parent.child.bind(parent);
  parent.child = ((...args: Parameters<typeof child>) => {
    children++;
    return child(...args);
  }) as typeof parent.child;

  const lazy = createLazyChildLogger(parent, { reqId: "r-1" }, {});
  lazy.info({ some: "detail" }, "not written");
  lazy.debug("not written either");
  assert.equal(children, 0, "disabled levels build nothing");
  assert.equal(lazy.isLevelEnabled("info"), false);
  assert.equal(lazy.level, "warn");

  lazy.warn({ userId: "alice" }, "written");
  lazy.error("written too");
  assert.equal(children, 1, "one child, built on the first enabled line");
  assert.equal(logs.length, 2);
  const first = JSON.parse(logs[0]!) as Record<string, unknown>;
  assert.equal(first.reqId, "r-1");
  assert.equal(first.userId, "alice");
  assert.equal(first.msg, "written");
});

test("a route-level log level builds an eager child with that level", () => {
  const { logs, destination } = captureLogs();
  const parent = createLogger({ level: "warn", destination });
  const eager = createLazyChildLogger(parent, { reqId: "r-2" }, { level: "debug" });
  eager.debug("route asked for debug");
  assert.equal(logs.length, 1);
  assert.equal((JSON.parse(logs[0]!) as { reqId: string }).reqId, "r-2");
});

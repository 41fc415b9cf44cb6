/**
 * @module test/http/shutdown
 * Graceful close: a request in flight finishes, and a keep-alive connection that never sent a request
 * does not hold the close for Node's headers time-out.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { connect } from "node:net";
import { test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { startGateway } from "../support/start-gateway.ts";

test("close waits for the request in flight, then closes a connection that never sent a request", async () => {
  const held = Promise.withResolvers<void>();
  const entered = Promise.withResolvers<void>();
  const gateway = await startGateway({
    routes: (app) => {
      app.get("/test/slow", async () => {
        entered.resolve();
        await held.promise;
        return { done: true };
      });
    },
  });
  const { port } = new URL(gateway.url);
  const silent = connect(Number(port), "127.0.0.1");
  await once(silent, "connect");
  const silentClosed = once(silent, "close");

  const inFlight = fetch(`${gateway.url}/test/slow`);
  await entered.promise;
  const started = performance.now();
  const closed = gateway.close();
  held.resolve();
  const response = await inFlight;
  assert.equal(response.status, 200, "the request in flight finished");
  assert.deepEqual(await response.json(), { done: true });
  // Bounded, so a regression fails here instead of hanging for Node's headers time-out.
  const outcome = await Promise.race([
    Promise.all([closed, silentClosed]).then(() => "closed"),
    delay(5000, "still open", { ref: false }),
  ]);
  assert.equal(outcome, "closed", "close did not wait for the headers time-out");
  assert.ok(performance.now() - started < 5000);
});

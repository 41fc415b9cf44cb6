/**
 * @module test/cluster/ipc-coordination
 * What workers share through the primary, over real forked processes: rate limits exact across workers,
 * a dead worker's concurrency slots released, an invalidation applied by every other worker before its
 * publish returns, and a listen ticket put by one worker taken once by another.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  createIpcListenTicketStore,
  serveListenTicketStore,
} from "../../src/auth/create-ipc-listen-ticket-store.ts";
import { createMemoryListenTicketStore } from "../../src/auth/create-memory-listen-ticket-store.ts";
import type { IpcEndpoint } from "../../src/cluster/index.ts";
import { createRateLimiterHost } from "../../src/metering/rate-limits/create-rate-limiter-host.ts";
import { createLocalRateLimiter } from "../../src/metering/rate-limits/index.ts";
import { createInvalidationRelay } from "../../src/store/create-ipc-invalidation-bus.ts";
import { forkIpcChild, type IpcChild } from "./support/fork-ipc-child.ts";

async function forkWorkers(
  count: number,
  attach: (id: number, endpoint: IpcEndpoint) => void,
  env: Readonly<Record<string, string>> = {},
) {
  const workers: IpcChild[] = [];
  for (let id = 1; id <= count; id++)
    workers.push(await forkIpcChild((endpoint) => attach(id, endpoint), env));
  return workers;
}

/** The endpoint, counting the lease requests the primary serves on it. */
function countingLeases(endpoint: IpcEndpoint, counter: { asks: number }): IpcEndpoint {
  return Object.assign(Object.create(endpoint) as IpcEndpoint, {
    handle: (service: string, handler: (payload: unknown) => unknown) =>
      endpoint.handle(service, (payload) => {
        if (service === "limits.lease") counter.asks++;
        return handler(payload);
      }),
  });
}

test("leased hits are exact under concurrent load: 2 workers × 200 concurrent hits against 50 → 50 pass", async (t) => {
  const host = createRateLimiterHost({ users: createLocalRateLimiter() });
  const workers = await forkWorkers(2, (id, endpoint) => host.attach(id, endpoint));
  t.after(() => Promise.all(workers.map((worker) => worker.kill())));
  for (let round = 0; round < 3; round++) {
    const passed = await Promise.all(
      workers.map((worker) =>
        worker.endpoint.request("test.hits", { key: `rpm:load-${round}`, limit: 50, count: 200 }),
      ),
    );
    assert.equal(
      (passed as number[]).reduce((sum, value) => sum + value, 0),
      50,
      `round ${round}`,
    );
  }
});

test("most hits cost no IPC: 2 workers × 300 hits under a limit of 1000 ask the primary far fewer times", async (t) => {
  const host = createRateLimiterHost({ users: createLocalRateLimiter() });
  const counter = { asks: 0 };
  const workers = await forkWorkers(2, (id, endpoint) => host.attach(id, countingLeases(endpoint, counter)));
  t.after(() => Promise.all(workers.map((worker) => worker.kill())));
  const passed = await Promise.all(
    workers.map((worker) =>
      worker.endpoint.request("test.hits", { key: "rpm:many", limit: 1000, count: 300 }),
    ),
  );
  assert.deepEqual(passed, [300, 300]);
  assert.ok(counter.asks < 60, `${counter.asks} lease requests for 600 hits`);
});

test("a worker killed holding a lease: its leased hits count as used, so the limit still holds", async (t) => {
  const host = createRateLimiterHost({ users: createLocalRateLimiter() });
  const gone = Promise.withResolvers<void>();
  // Leases are kept (not returned) for the test's length: the worker dies holding one.
  const [holder, other] = await forkWorkers(
    2,
    (id, endpoint) => {
      host.attach(id, endpoint);
      endpoint.onClose(() => {
        host.detach(id);
        if (id === 1) gone.resolve();
      });
    },
    { TEST_RETURN_AFTER_MS: "600000" },
  );
  t.after(() => Promise.all([holder!.kill(), other!.kill()]));
  assert.equal(await holder!.endpoint.request("test.hits", { key: "rpm:dies", limit: 10, count: 1 }), 1);
  const leased = host.leasedHits;
  assert.ok(leased >= 1 && leased <= 5, `the holder's lease: ${leased}`);
  holder!.child.kill("SIGKILL");
  await gone.promise;
  assert.equal(host.leasedHits, 0);
  const passed = await other!.endpoint.request("test.hits", { key: "rpm:dies", limit: 10, count: 20 });
  assert.equal(passed, 10 - leased, "what the dead worker held stays counted");
});

test("a worker is not refused for hits another merely holds: the primary recalls them first", async (t) => {
  // A long recall wait: the ask is answered when the holder reports, however loaded the machine is.
  const host = createRateLimiterHost({ users: createLocalRateLimiter() }, { recallWaitMs: 30_000 });
  const [holder, other] = await forkWorkers(2, (id, endpoint) => host.attach(id, endpoint), {
    TEST_RETURN_AFTER_MS: "600000", // leases are kept until the next ask or a recall
  });
  t.after(() => Promise.all([holder!.kill(), other!.kill()]));
  const hits = (worker: IpcChild, count: number) =>
    worker.endpoint.request("test.hits", { key: "rpm:recall", limit: 8, count });
  assert.equal(await hits(holder!, 3), 3);
  assert.equal(await hits(holder!, 1), 1); // its lease grew: it now holds a hit it has not used
  assert.ok(host.leasedHits >= 2, `held by the first worker: ${host.leasedHits}`);
  assert.equal(await hits(other!, 10), 4, "all 8 pass between them: none refused early");
  assert.equal(await hits(holder!, 1), 0);
});

test("requests per window are exact across workers: 3 workers × 10 concurrent hits against 5 → 5 pass", async (t) => {
  const host = createRateLimiterHost({ users: createLocalRateLimiter() });
  const workers = await forkWorkers(3, (id, endpoint) => host.attach(id, endpoint));
  t.after(() => Promise.all(workers.map((worker) => worker.kill())));
  const decisions = await Promise.all(
    workers.flatMap((worker) =>
      Array.from({ length: 10 }, () => worker.endpoint.request("test.hit", { key: "rpm:u1", limit: 5 })),
    ),
  );
  const passed = decisions.filter((decision) => (decision as { ok: boolean }).ok).length;
  assert.equal(passed, 5);
  const refused = decisions.find((decision) => !(decision as { ok: boolean }).ok) as {
    retryAfterSeconds: number;
  };
  assert.ok(refused.retryAfterSeconds >= 1);
});

test("a worker killed while holding concurrency slots gives them back; a released slot is reusable", async (t) => {
  const host = createRateLimiterHost({ users: createLocalRateLimiter() });
  const gone = Promise.withResolvers<void>();
  const [holder, other] = await forkWorkers(2, (id, endpoint) => {
    host.attach(id, endpoint);
    endpoint.onClose(() => {
      host.detach(id);
      if (id === 1) gone.resolve();
    });
  });
  t.after(() => Promise.all([holder!.kill(), other!.kill()]));

  assert.equal(await holder!.endpoint.request("test.acquire", { key: "streams:u1", max: 2 }), true);
  assert.equal(await holder!.endpoint.request("test.acquire", { key: "streams:u1", max: 2 }), true);
  assert.equal(await other!.endpoint.request("test.acquire", { key: "streams:u1", max: 2 }), false);
  assert.equal(host.heldSlots, 2);

  holder!.child.kill("SIGKILL");
  await gone.promise;
  assert.equal(host.heldSlots, 0);
  assert.equal(await other!.endpoint.request("test.acquire", { key: "streams:u1", max: 2 }), true);
  assert.equal(await other!.endpoint.request("test.release-all", null), true);
  // The releases are notices sent before that answer on the same channel: applied by now.
  assert.equal(host.heldSlots, 0);
});

test("a publish returns only after every other worker applied the invalidation", async (t) => {
  const relay = createInvalidationRelay();
  const received: Array<{ pid: number; at: number }> = [];
  let sequence = 0;
  const workers = await forkWorkers(3, (id, endpoint) => {
    relay.attach(id, endpoint);
    endpoint.handle("test.received", (payload) => {
      received.push({ pid: (payload as { pid: number }).pid, at: ++sequence });
    });
  });
  t.after(() => Promise.all(workers.map((worker) => worker.kill())));
  const [publisher, ...others] = workers;

  const message = { topic: "user", userId: "u-revoked", cut: "user_revoked" };
  assert.equal(await publisher!.endpoint.request("test.publish", message), true);
  const returnedAt = ++sequence;
  const pids = new Set(received.map((entry) => entry.pid));
  for (const worker of others) assert.ok(pids.has(worker.child.pid!), "every other worker applied it");
  assert.ok(pids.has(publisher!.child.pid!), "the publisher applied it too");
  assert.ok(
    received.every((entry) => entry.at < returnedAt),
    "all applied before the publish returned",
  );
});

test("a listen ticket put by one worker is taken once, by any worker; an unknown one is null", async (t) => {
  const store = createMemoryListenTicketStore({ max: 100 });
  const workers = await forkWorkers(2, (_id, endpoint) => serveListenTicketStore(endpoint, store));
  t.after(() => Promise.all(workers.map((worker) => worker.kill())));
  const [issuer, redeemer] = workers;
  const ticket = { id: "hash-of-ticket", userId: "u1", sealed: "sealed-bytes", ttlMs: 30_000, perUser: 16 };
  await issuer!.endpoint.request("test.put", ticket);
  assert.equal(store.size, 1);
  assert.equal(await redeemer!.endpoint.request("test.take", "hash-of-ticket"), "sealed-bytes");
  assert.equal(await issuer!.endpoint.request("test.take", "hash-of-ticket"), null);
  assert.equal(await issuer!.endpoint.request("test.take", "never-issued"), null);
});

test("a worker's ticket store rejects (never answers null) when the primary is gone", async (t) => {
  const worker = await forkIpcChild(() => {});
  t.after(() => worker.kill());
  const tickets = createIpcListenTicketStore(worker.endpoint, { timeoutMs: 500 });
  // Here the parent plays the worker: its peer (the child) serves no tickets, then dies.
  await assert.rejects(tickets.take("x"));
  await worker.kill();
  await assert.rejects(tickets.put({ id: "x", userId: "u", sealed: "s", ttlMs: 1_000, perUser: 1 }));
});

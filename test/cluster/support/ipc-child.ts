/**
 * @module test/cluster/support/ipc-child
 * A process on the far end of a real IPC channel, driven by its parent: it uses the worker-side
 * implementations (rate limiter, invalidation bus, listen tickets) as a gateway worker would.
 */
import { createIpcListenTicketStore } from "../../../src/auth/create-ipc-listen-ticket-store.ts";
import type { HeldListenTicket } from "../../../src/auth/listen-ticket-store.ts";
import { createIpcEndpoint, type IpcPort } from "../../../src/cluster/index.ts";
import { createIpcRateLimiter } from "../../../src/metering/rate-limits/create-ipc-rate-limiter.ts";
import type { RateSlot } from "../../../src/metering/rate-limits/index.ts";
import { createIpcInvalidationBus } from "../../../src/store/create-ipc-invalidation-bus.ts";
import type { UserInvalidation } from "../../../src/store/invalidation-bus.ts";

const endpoint = createIpcEndpoint(process as unknown as IpcPort, { timeoutMs: 1_000 });
const returnAfterMs = Number(process.env.TEST_RETURN_AFTER_MS ?? "50");
const limiter = createIpcRateLimiter(endpoint, { limiter: "users", returnAfterMs });
const bus = createIpcInvalidationBus(endpoint);
const tickets = createIpcListenTicketStore(endpoint);
const slots: RateSlot[] = [];
/** The parent is this test's own code: its payloads are taken as the shapes it sends. */
const as = <T>(value: unknown) => value as T;

// Every message this worker applies is reported to the parent before it is acknowledged.
bus.subscribe((message) => endpoint.notify("test.received", { pid: process.pid, message }));

endpoint.handle("test.echo", (payload) => ({ pid: process.pid, payload }));
endpoint.handle("test.hang", () => new Promise(() => {}));
endpoint.handle("test.hit", async (payload) => {
  const { key, limit } = as<{ key: string; limit: number }>(payload);
  return limiter.hit(key, limit, 60_000);
});
/** `count` concurrent hits in this worker: how many passed. */
endpoint.handle("test.hits", async (payload) => {
  const { key, limit, count } = as<{ key: string; limit: number; count: number }>(payload);
  const decisions = await Promise.all(Array.from({ length: count }, () => limiter.hit(key, limit, 60_000)));
  return decisions.filter((decision) => decision.ok).length;
});
endpoint.handle("test.acquire", async (payload) => {
  const { key, max } = as<{ key: string; max: number }>(payload);
  const decision = await limiter.acquire(key, max);
  if (decision.ok) slots.push(decision);
  return decision.ok;
});
endpoint.handle("test.release-all", () => {
  for (const slot of slots.splice(0)) slot.release();
  return true;
});
endpoint.handle("test.publish", async (payload) => {
  await bus.publish(as<UserInvalidation>(payload));
  return true;
});
endpoint.handle("test.put", (payload) => tickets.put(as<HeldListenTicket>(payload)));
endpoint.handle("test.take", (payload) => tickets.take(payload as string));
/** Asks the parent something it never answers: the child reports how that ended. */
endpoint.handle("test.ask-silent-parent", async () => {
  const started = performance.now();
  try {
    await endpoint.request("parent.silent", null, 300);
    return { ok: true };
  } catch (error) {
    const { type, code } = error as { type?: string; code?: string };
    return { ok: false, type, code, afterMs: performance.now() - started };
  }
});
endpoint.notify("test.ready", process.pid);

/**
 * @module test/cluster/ipc-channel
 * The IPC channel between a primary and its workers, over real forked processes: answers both ways, a
 * time limit on every request, and a peer's death ending what was pending at once instead of hanging.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { CLUSTER_UNAVAILABLE } from "../../src/cluster/index.ts";
import { isGatewayError } from "../../src/errors/index.ts";
import { forkIpcChild } from "./support/fork-ipc-child.ts";

test("requests are answered both ways, each matched to its own reply", async (t) => {
  const worker = await forkIpcChild((endpoint) => {
    endpoint.handle("parent.silent", () => new Promise(() => {}));
  });
  t.after(() => worker.kill());
  const answers = await Promise.all([1, 2, 3].map((n) => worker.endpoint.request("test.echo", { n })));
  assert.deepEqual(
    answers.map((answer) => (answer as { payload: unknown }).payload),
    [{ n: 1 }, { n: 2 }, { n: 3 }],
  );
  assert.equal((answers[0] as { pid: number }).pid, worker.child.pid);
});

test("a request the peer never answers rejects at its time limit with a 503, both ways", async (t) => {
  const worker = await forkIpcChild((endpoint) => {
    endpoint.handle("parent.silent", () => new Promise(() => {}));
  });
  t.after(() => worker.kill());

  const started = performance.now();
  await assert.rejects(worker.endpoint.request("test.hang", null, 200), (error: unknown) => {
    assert.ok(isGatewayError(error));
    assert.equal(error.status, 503);
    assert.equal(error.code, CLUSTER_UNAVAILABLE);
    return true;
  });
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 190 && elapsed < 2_000, `rejected after ${elapsed} ms`);

  // The worker's side of the same rule: a primary that does not answer is an error, not a hang.
  const outcome = (await worker.endpoint.request("test.ask-silent-parent", null)) as Record<string, unknown>;
  assert.equal(outcome.ok, false);
  assert.equal(outcome.type, "service_unavailable");
  assert.equal(outcome.code, CLUSTER_UNAVAILABLE);
  assert.ok((outcome.afterMs as number) >= 290, `the worker gave up after ${String(outcome.afterMs)} ms`);
});

test("a peer that dies ends its pending requests at once, and the endpoint reports the close", async (t) => {
  const worker = await forkIpcChild(() => {});
  t.after(() => worker.kill());
  const closed = Promise.withResolvers<void>();
  worker.endpoint.onClose(() => closed.resolve());
  const pending = worker.endpoint.request("test.hang", null, 60_000);
  const started = performance.now();
  worker.child.kill("SIGKILL");
  await assert.rejects(
    pending,
    (error: unknown) => isGatewayError(error) && error.code === CLUSTER_UNAVAILABLE,
  );
  assert.ok(performance.now() - started < 5_000, "rejected on the death, long before the 60 s limit");
  await closed.promise;
  assert.equal(worker.endpoint.closed, true);
  await assert.rejects(worker.endpoint.request("test.echo", null), (error: unknown) => isGatewayError(error));
});

test("a handler that throws is a rejected request, its message kept on its own side", async (t) => {
  const worker = await forkIpcChild(() => {});
  t.after(() => worker.kill());
  // The child's hit handler validates its arguments: a RangeError there crosses as its class name only.
  await assert.rejects(
    worker.endpoint.request("test.hit", { key: "k", limit: -1 }),
    (error: unknown) => isGatewayError(error) && /RangeError/.test(error.message),
  );
  await assert.rejects(
    worker.endpoint.request("no.such.service", null),
    (error: unknown) => isGatewayError(error) && error.status === 503,
  );
});

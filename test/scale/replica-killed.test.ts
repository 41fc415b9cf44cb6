/**
 * @module test/scale/replica-killed
 * A replica killed with SIGKILL mid-stream: the concurrency slot it held in Redis comes back within the lease.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { eventually, holdNextStream, openStream } from "../support/replica-streams.ts";
import { type Replicas, startReplicas } from "../support/start-replicas.ts";

const SLOT_LEASE_MS = 1500;
const TIMEOUT = { timeout: 60_000 };

let fleet: Replicas;

before(async () => {
  fleet = await startReplicas({
    config: {
      // One stream at a time per user, its slot a lease of 1.5 s renewed every 0.5 s while held.
      rateLimits: { concurrentStreams: 1, slotLeaseMs: SLOT_LEASE_MS },
    },
  });
});

after(async () => {
  await fleet?.close();
});

test(
  "a replica killed with SIGKILL mid-stream gives its concurrency slot back within the lease time",
  TIMEOUT,
  async () => {
    const [a, b, c] = fleet.replicas as [
      (typeof fleet.replicas)[0],
      (typeof fleet.replicas)[0],
      (typeof fleet.replicas)[0],
    ];
    const token = await fleet.addUser("killed-stream-user");
    const held = holdNextStream(fleet.openai);
    const stream = await openStream(b.url, token);
    assert.equal(stream.status, 200);
    await held;

    // The slot is the fleet's: while B holds it, A and C refuse a second stream.
    for (const replica of [a, c]) {
      const second = await openStream(replica.url, token);
      assert.equal(second.status, 429, `a second stream on ${replica.url}`);
      assert.match(second.text(), /concurrent_streams/);
    }

    const upstreamCut = fleet.openai.nextAbortedResponse();
    assert.equal(await b.stop("SIGKILL"), null, "killed, not exited");
    const killedAt = performance.now();
    assert.equal(await stream.ended, "error", "the client sees the connection die");
    await upstreamCut;

    // A and C admit a stream again once the dead replica's lease runs out, never renewed. Measured to the
    // start of the admitted attempt (the attempt itself is request latency, not the lease).
    let attemptStartedAt = killedAt;
    await eventually(
      "the slot comes back",
      async () => {
        attemptStartedAt = performance.now();
        const next = await openStream(a.url, token);
        await next.ended;
        assert.ok([200, 429].includes(next.status), `status ${next.status}`);
        return next.status === 200;
      },
      { timeoutMs: SLOT_LEASE_MS * 4, everyMs: 50 },
    );
    const sinceKill = attemptStartedAt - killedAt;
    assert.ok(
      sinceKill <= SLOT_LEASE_MS + 1000,
      `admitted by an attempt ${Math.round(sinceKill)} ms after the kill (lease ${SLOT_LEASE_MS} ms)`,
    );
    // A's stream ended for its client a moment before A gives its slot back (a Redis call after the relay
    // finishes), so the third replica is asked until that release has landed.
    await eventually(
      "and on the third replica",
      async () => {
        const onC = await openStream(c.url, token);
        await onC.ended;
        assert.ok([200, 429].includes(onC.status), `status ${onC.status}`);
        return onC.status === 200;
      },
      { timeoutMs: SLOT_LEASE_MS * 2, everyMs: 50 },
    );
  },
);

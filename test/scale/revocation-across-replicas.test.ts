/**
 * @module test/scale/revocation-across-replicas
 * What one replica decides holds on the others at once: a revoked user, a used listen ticket.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { openLive } from "../support/listen-gateway.ts";
import { holdNextStream, openStream } from "../support/replica-streams.ts";
import { ADMIN_TOKEN } from "../support/start-gateway.ts";
import { type Replicas, startReplicas } from "../support/start-replicas.ts";
import { chunks, pcm16Sine } from "../support/test-audio.ts";

const TIMEOUT = { timeout: 60_000 };
const PCM_QUERY = { model: "transcription", encoding: "linear16", sample_rate: "16000" } as const;

let fleet: Replicas;

before(async () => {
  fleet = await startReplicas();
});

after(async () => {
  await fleet?.close();
});

const chat = { model: "chat", messages: [{ role: "user", content: "still there?" }] };

test(
  "revocation on replica A refuses the next request on B and C, and ends B's open stream",
  TIMEOUT,
  async () => {
    const [a, b, c] = fleet.replicas as [
      (typeof fleet.replicas)[0],
      (typeof fleet.replicas)[0],
      (typeof fleet.replicas)[0],
    ];
    const token = await fleet.addUser("revoked-user");
    // Every replica has served (and cached) the user before the revocation.
    for (const replica of [a, b, c]) {
      const answer = await fleet.call(replica, "POST", "/v1/chat/completions", { token, body: chat });
      assert.equal(answer.status, 200);
    }
    const held = holdNextStream(fleet.openai);
    const stream = await openStream(b.url, token);
    assert.equal(stream.status, 200);
    await held;
    assert.match(stream.text(), /held/);
    const cut = fleet.openai.nextAbortedResponse();

    const revoked = await fleet.call(a, "DELETE", "/admin/users/revoked-user", { token: ADMIN_TOKEN });
    assert.equal(revoked.status, 200, JSON.stringify(revoked.body));

    for (const replica of [b, c]) {
      const next = await fleet.call(replica, "POST", "/v1/chat/completions", { token, body: chat });
      assert.equal(next.status, 401, `the next request on ${replica.url}`);
      assert.equal((next.body as { error: { type: string } }).error.type, "invalid_credentials");
    }
    // B's open stream ends with the revocation's error event, and its upstream call is cut.
    assert.equal(await stream.ended, "done");
    assert.match(stream.text(), /"type":"invalid_credentials"/);
    assert.match(stream.text(), /"code":"user_revoked"/);
    await cut;
  },
);

test("a listen ticket issued by replica A is redeemed once on B and refused on C", TIMEOUT, async () => {
  const [a, b, c] = fleet.replicas as [
    (typeof fleet.replicas)[0],
    (typeof fleet.replicas)[0],
    (typeof fleet.replicas)[0],
  ];
  const token = await fleet.addUser("ticket-user");
  const issued = await fleet.call(a, "POST", "/v1/listen/tickets?model=transcription", { token });
  assert.equal(issued.status, 201, JSON.stringify(issued.body));
  const { ticket } = issued.body as { ticket: string };
  const liveUrl = (replica: { url: string }) => `${replica.url.replace(/^http/, "ws")}/v1/listen`;

  const opened = fleet.deepgram.nextLiveConnection();
  const live = await openLive(liveUrl(b), { ...PCM_QUERY, ticket }, {});
  const connection = await Promise.race([
    opened,
    live.closed.then(({ code, reason }) => assert.fail(`B refused the ticket: ${code} ${reason}`)),
  ]);
  assert.equal(connection.query.ticket, undefined, "the ticket is the gateway's, never passed on");
  for (const frame of chunks(pcm16Sine({ seconds: 0.1 }), 640)) live.ws.send(frame);
  live.ws.send(JSON.stringify({ type: "CloseStream" }));
  assert.equal((await live.closed).code, 1000, "the session on B ran");

  const again = await openLive(liveUrl(c), { ...PCM_QUERY, ticket }, {});
  const refused = await again.closed;
  assert.equal(refused.code, 4001, "used up: refused on C");
  assert.match(refused.reason, /^invalid_credentials/);
  for (const replica of fleet.replicas) {
    assert.ok(
      replica.logs.every((line) => !line.includes(ticket)),
      "the ticket never appears in a log line",
    );
  }
});

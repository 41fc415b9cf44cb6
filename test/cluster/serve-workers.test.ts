/**
 * @module test/cluster/serve-workers
 * The real `byok-gateway serve --workers 2` on one SQLite file: requests land on both workers, a user
 * revoked through the admin API on one worker is refused by the other at once (and its open stream
 * there ends), a rate limit of 5 a minute is exact across workers, a worker killed with SIGKILL is
 * replaced, and SIGTERM lets a stream in flight complete before every process exits 0.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import type { Client } from "undici";
import { ADMIN_TOKEN } from "../support/start-gateway.ts";
import {
  isRunning,
  pinnedConnection,
  startWorkerGateway,
  type WorkerGateway,
} from "./support/start-worker-gateway.ts";

let gateway: WorkerGateway;
const clients: Client[] = [];

before(async () => {
  gateway = await startWorkerGateway({
    workers: 2,
    shutdownTimeoutMs: 15_000,
    config: { plans: { limited: { rateLimits: { requestsPerMinute: 5 } } } },
  });
});
after(async () => {
  await Promise.all(clients.map((client) => client.destroy()));
  await gateway.close();
});

function connection(): Client {
  const client = pinnedConnection(gateway.url);
  clients.push(client);
  return client;
}

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly requestId: string;
}

async function send(
  client: Client,
  method: "GET" | "POST" | "DELETE",
  path: string,
  token: string,
  body?: unknown,
): Promise<Answer> {
  const requestId = `t-${randomUUID()}`;
  const response = await client.request({
    method,
    path,
    headers: {
      authorization: `Bearer ${token}`,
      "x-request-id": requestId,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.statusCode, text: await response.body.text(), requestId };
}

const chatBody = { model: "summary", messages: [{ role: "user", content: "hi" }] };

async function addUser(id: string, plan: string | null = null): Promise<string> {
  const created = await send(connection(), "POST", "/admin/users", ADMIN_TOKEN, { id, plan });
  assert.equal(created.status, 201, created.text);
  return (JSON.parse(created.text) as { token: string }).token;
}

/** Two pinned connections on each of two different workers (connections are dealt round robin). */
async function connectionsOnTwoWorkers(): Promise<Array<{ pid: number; clients: Client[] }>> {
  const byPid = new Map<number, Client[]>();
  const enough = () => byPid.size === 2 && [...byPid.values()].every((clients) => clients.length >= 2);
  for (let attempt = 0; attempt < 16 && !enough(); attempt++) {
    const client = connection();
    const probe = await send(client, "GET", "/healthz", "none");
    assert.equal(probe.status, 200);
    const pid = await gateway.pidOf(probe.requestId);
    byPid.set(pid, [...(byPid.get(pid) ?? []), client]);
  }
  assert.ok(enough(), "two connections on each of two different workers");
  return [...byPid].map(([pid, clients]) => ({ pid, clients }));
}

test("requests land on both workers, each a process of its own", { timeout: 60_000 }, async () => {
  const token = await addUser("spread-user");
  const answers = await Promise.all(
    Array.from({ length: 4 }, () => send(connection(), "POST", "/v1/chat/completions", token, chatBody)),
  );
  for (const answer of answers) assert.equal(answer.status, 200, answer.text);
  const pids = new Set(await Promise.all(answers.map((answer) => gateway.pidOf(answer.requestId))));
  assert.deepEqual([...pids].sort(), gateway.workerPids().sort());
  assert.equal(pids.size, 2);
  assert.ok(!pids.has(gateway.child.pid!), "the primary serves no request");
});

test("a user revoked on one worker is refused by the other at once, and its open stream there ends", {
  timeout: 60_000,
}, async () => {
  const token = await addUser("revoked-user");
  const [first, second] = await connectionsOnTwoWorkers();
  // The other worker has seen (and cached) this user's token.
  const [onSecond, alsoOnSecond] = second!.clients;
  assert.equal((await send(onSecond!, "POST", "/v1/chat/completions", token, chatBody)).status, 200);
  // A stream on the other worker that would run for a minute.
  gateway.openai.respondNext((_request, response) => {
    response.writeHead(200, { "content-type": "text/event-stream" });
    const chunk = () =>
      response.write(
        `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content: "x " }, finish_reason: null }] })}\n\n`,
      );
    chunk();
    const timer = setInterval(chunk, 100);
    response.once("close", () => clearInterval(timer));
  });
  const stream = await alsoOnSecond!.request({
    method: "POST",
    path: "/v1/chat/completions",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ ...chatBody, stream: true }),
  });
  assert.equal(stream.statusCode, 200);
  const streamed = stream.body.text();

  const revoked = await send(first!.clients[0]!, "DELETE", "/admin/users/revoked-user", ADMIN_TOKEN);
  assert.equal(revoked.status, 200, revoked.text);
  assert.equal(await gateway.pidOf(revoked.requestId), first!.pid);

  const refused = await send(onSecond!, "POST", "/v1/chat/completions", token, chatBody);
  assert.equal(refused.status, 401, "refused on the other worker by the next request");
  assert.equal(await gateway.pidOf(refused.requestId), second!.pid);
  const text = await streamed; // ended by the revocation, on the other worker
  assert.match(text, /"error"/);
});

test("a rate limit of 5 a minute is exact across workers: 20 concurrent requests, exactly 5 pass", {
  timeout: 60_000,
}, async () => {
  const token = await addUser("limited-user", "limited");
  const answers = await Promise.all(
    Array.from({ length: 20 }, () => send(connection(), "POST", "/v1/chat/completions", token, chatBody)),
  );
  const statuses = answers.map((answer) => answer.status);
  assert.equal(statuses.filter((status) => status === 200).length, 5, String(statuses));
  assert.equal(statuses.filter((status) => status === 429).length, 15, String(statuses));
  const pids = new Set(await Promise.all(answers.map((answer) => gateway.pidOf(answer.requestId))));
  assert.equal(pids.size, 2, "both workers answered some of them");
});

test("a worker killed with SIGKILL is replaced, and the replacement serves", {
  timeout: 60_000,
}, async () => {
  const [victim, survivor] = gateway.workerPids();
  assert.ok(victim !== undefined && survivor !== undefined);
  const replaced = gateway.waitForLine(
    (line) => line.msg === "worker listening" && line.workerPid !== victim && line.workerPid !== survivor,
  );
  process.kill(victim, "SIGKILL");
  const death = await gateway.waitForLine(
    (line) => line.msg === "worker exited unexpectedly; starting a replacement" && line.workerPid === victim,
  );
  assert.equal(death.signal, "SIGKILL");
  const replacement = (await replaced).workerPid as number;
  assert.deepEqual(gateway.workerPids().sort(), [survivor, replacement].sort());
  const token = await addUser("after-replacement");
  const answers = await Promise.all(
    Array.from({ length: 4 }, () => send(connection(), "POST", "/v1/chat/completions", token, chatBody)),
  );
  for (const answer of answers) assert.equal(answer.status, 200, answer.text);
  const pids = new Set(await Promise.all(answers.map((answer) => gateway.pidOf(answer.requestId))));
  assert.ok(pids.has(replacement), "the replacement served requests");
});

test("SIGTERM with a stream in flight: the stream completes, every worker exits, the primary exits 0", {
  timeout: 60_000,
}, async () => {
  const token = await addUser("shutdown-user");
  const started = Promise.withResolvers<void>();
  gateway.openai.respondNext((_request, response) => {
    response.writeHead(200, { "content-type": "text/event-stream" });
    let n = 0;
    const timer = setInterval(() => {
      n++;
      const delta = n <= 15 ? { content: `${n} ` } : {};
      response.write(
        `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: n <= 15 ? null : "stop" }] })}\n\n`,
      );
      if (n === 1) started.resolve();
      if (n > 15) {
        clearInterval(timer);
        response.end("data: [DONE]\n\n");
      }
    }, 100);
    response.once("close", () => clearInterval(timer));
  });
  const workers = gateway.workerPids();
  const stream = await connection().request({
    method: "POST",
    path: "/v1/chat/completions",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ ...chatBody, stream: true }),
  });
  assert.equal(stream.statusCode, 200);
  const text = stream.body.text();
  await started.promise;
  gateway.child.kill("SIGTERM");
  const body = await text;
  assert.match(body, /data: \[DONE\]/, "the stream completed");
  assert.match(body, /"15 "/);
  assert.doesNotMatch(body, /shutting_down/);
  const [code, signal] = await gateway.exited;
  assert.equal(signal, null);
  assert.equal(code, 0);
  for (const pid of workers) assert.equal(isRunning(pid), false, `worker ${pid} is gone`);
  assert.equal(gateway.lines.filter((line) => line.msg === "worker stopped").length, workers.length);
});

/**
 * @module test/egress/informational-heads
 * Informational (1xx) heads refresh undici's headers timer; the headers limit holds anyway on the guarded fetch
 * and on the upstream client's streamed and whole calls: a `102 Processing` flood ends at the headers limit
 * (`headers_timeout`), too many 1xx heads are a malformed answer (`request_failed`), and a `103 Early Hints`
 * or two before the final head still work.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import { after, before, test } from "node:test";
import {
  createEgressPolicy,
  createGuardedFetch,
  createUpstreamClient,
  EgressError,
} from "../../src/egress/index.ts";
import { MAX_INFORMATIONAL_HEADS } from "../../src/egress/limit-informational-heads.ts";

const HOST = "127.0.0.2";
const HEADERS_MS = 500;
const TOTAL_MS = 6_000;
let server: net.Server;
let port = 0;
const sockets: net.Socket[] = [];

before(async () => {
  server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on("error", () => {});
    socket.once("data", (data) => {
      const path = data.toString("latin1").split(" ")[1] ?? "";
      if (path === "/flood") {
        // A 102 head every 100 ms, never a final head.
        const tick = setInterval(() => socket.write("HTTP/1.1 102 Processing\r\n\r\n"), 100);
        socket.on("close", () => clearInterval(tick));
      } else if (path === "/burst") {
        // More 1xx heads than any real server sends, all at once, then silence.
        socket.write("HTTP/1.1 102 Processing\r\n\r\n".repeat(MAX_INFORMATIONAL_HEADS + 4));
      } else {
        socket.write("HTTP/1.1 103 Early Hints\r\nlink: </style.css>; rel=preload\r\n\r\n");
        socket.write("HTTP/1.1 102 Processing\r\n\r\n");
        socket.end("HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
      }
    });
  });
  server.listen(0, HOST);
  await once(server, "listening");
  port = (server.address() as net.AddressInfo).port;
});
after(() => {
  for (const socket of sockets) socket.destroy();
  server.close();
});

const policy = createEgressPolicy({ allowCidrs: [`${HOST}/32`], allowHttpHosts: [HOST] });

/** Each path a call can take: the answer's status and text, or the EgressError reason it failed with. */
const paths: Record<string, (path: string) => Promise<{ status: number; text: string }>> = {
  "guarded fetch": async (path) => {
    const guarded = createGuardedFetch(policy, { headersTimeoutMs: HEADERS_MS, totalTimeoutMs: TOTAL_MS });
    try {
      const response = await guarded(`http://${HOST}:${port}${path}`);
      return { status: response.status, text: await response.text() };
    } finally {
      await guarded.close();
    }
  },
  ...Object.fromEntries(
    [false, true].map((whole) => [
      `upstream client (whole: ${whole})`,
      async (path: string) => {
        const client = createUpstreamClient({ policy });
        try {
          const response = await client.send({
            url: `http://${HOST}:${port}${path}`,
            guarded: true,
            method: "POST",
            headers: {},
            body: "{}",
            whole,
            timeouts: { connectMs: 1_000, headersMs: HEADERS_MS, bodyIdleMs: HEADERS_MS, totalMs: TOTAL_MS },
          });
          return { status: response.status, text: await response.body.text() };
        } finally {
          await client.close();
        }
      },
    ]),
  ),
};

async function reasonOf(run: Promise<unknown>): Promise<string> {
  const error = await run.then(
    () => assert.fail("the call answered"),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof EgressError, `an EgressError, got ${String(error)}`);
  return error.reason;
}

for (const [name, call] of Object.entries(paths)) {
  test(`${name}: a 102 flood with no final head ends at the headers limit (headers_timeout)`, async () => {
    const started = Date.now();
    assert.equal(await reasonOf(call("/flood")), "headers_timeout");
    assert.ok(Date.now() - started < TOTAL_MS / 2, "cut well before the total limit");
  });

  test(`${name}: more than ${MAX_INFORMATIONAL_HEADS} 1xx heads are a malformed answer (request_failed)`, async () => {
    const started = Date.now();
    assert.equal(await reasonOf(call("/burst")), "request_failed");
    assert.ok(Date.now() - started < HEADERS_MS, "refused at the head over the cap, not at a limit");
  });

  test(`${name}: 103 Early Hints and a 102 before a 200 still answer`, async () => {
    assert.deepEqual(await call("/hints"), { status: 200, text: "ok" });
  });
}

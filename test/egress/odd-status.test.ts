/**
 * @module test/egress/odd-status
 * A final answer no `Response` can carry (a status outside 200–599, a reason phrase with a control byte) is
 * an `EgressError` (`request_failed`) on the guarded fetch, never a raw RangeError or TypeError, and the
 * upstream socket is released at once rather than at the total limit.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import { after, before, test } from "node:test";
import { createEgressPolicy, createGuardedFetch, EgressError } from "../../src/egress/index.ts";

const HOST = "127.0.0.2";
/** The status line each path answers with; its body streams a byte every 200 ms until the socket closes. */
const STATUS_LINES: Readonly<Record<string, string>> = {
  "/status-999": "HTTP/1.1 999 Odd",
  "/status-600": "HTTP/1.1 600 Odd",
  "/reason-del": "HTTP/1.1 200 OK\x7f",
  "/reason-nul": "HTTP/1.1 200 O\x00K",
  // A lone Latin-1 byte: undici decodes the phrase as UTF-8, to U+FFFD, which no Response takes.
  "/reason-latin1": "HTTP/1.1 200 \xc5k",
  // UTF-8 ü: decoded to U+00FC, obs-text a Response takes.
  "/ok-utf8": "HTTP/1.1 200 Gr\xc3\xbc\xc3\x9fe",
};
let server: net.Server;
let port = 0;
const sockets: net.Socket[] = [];

before(async () => {
  server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on("error", () => {});
    socket.once("data", (data) => {
      const path = data.toString("latin1").split(" ")[1] ?? "";
      socket.write(
        `${STATUS_LINES[path] ?? "HTTP/1.1 404 Not Found"}\r\ntransfer-encoding: chunked\r\n\r\n`,
        "latin1",
      );
      const tick = setInterval(() => socket.write("1\r\na\r\n"), 200);
      socket.on("close", () => clearInterval(tick));
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

for (const path of ["/status-999", "/status-600", "/reason-del", "/reason-nul", "/reason-latin1"]) {
  test(`${path}: an EgressError (request_failed), and the socket released before the total limit`, async () => {
    const guarded = createGuardedFetch(policy, { totalTimeoutMs: 6_000 });
    try {
      const opened = sockets.length;
      const error = await guarded(`http://${HOST}:${port}${path}`).then(
        () => assert.fail("the answer was relayed"),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof EgressError, `an EgressError, not ${(error as Error).constructor.name}`);
      assert.equal(error.reason, "request_failed");
      const socket = sockets[opened];
      assert.ok(socket, "the upstream was reached");
      if (!socket.destroyed) {
        const limit = AbortSignal.timeout(2_000);
        await Promise.race([
          once(socket, "close"),
          once(limit, "abort").then(() => assert.fail("the socket is still open 2 s after the error")),
        ]);
      }
    } finally {
      await guarded.close();
    }
  });
}

test("a reason phrase with obs-text a Response takes is relayed", async () => {
  const guarded = createGuardedFetch(policy);
  try {
    const response = await guarded(`http://${HOST}:${port}/ok-utf8`);
    assert.equal(response.status, 200);
    assert.equal(response.statusText, "Grüße");
    await response.body?.cancel();
  } finally {
    await guarded.close();
  }
});

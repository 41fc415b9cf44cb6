/** @module test/http/client-errors
 * Issue 12, finding 9 (HTTP parser side): requests Node's HTTP parser rejects (bare CR, LF or NUL in a
 * header, smuggling attempts, oversized headers, garbage) answer the documented envelope with the right
 * status, `Connection: close`, and the socket is closed; their raw bytes never reach a log line; the
 * gateway keeps serving. Sent over raw `net` sockets. */
import assert from "node:assert/strict";
import { once } from "node:events";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { mapClientError } from "../../src/http/plugins/client-error-envelope.ts";
import { startGateway, type TestGateway } from "../support/start-gateway.ts";

const CANARY = "sk-proj-CLIENTERRCANARY0123456789abcdefQZXC";

interface RawAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
  readonly text: string;
}

/** Writes `bytes`, reads until the server closes the socket, and parses the one HTTP answer. */
async function sendRaw(gateway: TestGateway, bytes: string | Buffer): Promise<RawAnswer> {
  const { port } = new URL(gateway.url);
  const socket = connect(Number(port), "127.0.0.1");
  await once(socket, "connect");
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  socket.on("error", () => {}); // a reset after the answer is fine: the close below still comes
  socket.write(bytes);
  await once(socket, "close");
  const text = Buffer.concat(chunks).toString("latin1");
  const split = text.indexOf("\r\n\r\n");
  assert.ok(split > 0, `an HTTP answer came back: ${JSON.stringify(text.slice(0, 200))}`);
  const [statusLine, ...headerLines] = text.slice(0, split).split("\r\n");
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine ?? "")?.[1]);
  const headers = Object.fromEntries(
    headerLines.map((line) => {
      const at = line.indexOf(":");
      return [line.slice(0, at).trim().toLowerCase(), line.slice(at + 1).trim()];
    }),
  );
  const bodyText = text.slice(split + 4);
  let body: unknown = null;
  try {
    body = JSON.parse(bodyText);
  } catch {
    body = null;
  }
  return { status, headers, body, text };
}

const request = (head: string, body = "") => `${head}\r\n\r\n${body}`;
const byokHeader = `X-BYOK-OpenAI: ${CANARY}`;

const MALFORMED: ReadonlyArray<{ name: string; bytes: string | Buffer; status: number; type: string }> = [
  {
    name: "a bare CR in a header value",
    bytes: request(`GET /healthz HTTP/1.1\r\nHost: a\r\n${byokHeader}\r\nX-A: a\rb`),
    status: 400,
    type: "invalid_request",
  },
  {
    name: "a NUL in a header value",
    bytes: request(`GET /healthz HTTP/1.1\r\nHost: a\r\n${byokHeader}\r\nX-A: a\u0000b`),
    status: 400,
    type: "invalid_request",
  },
  {
    name: "a bare LF inside a header name",
    bytes: request(`GET /healthz HTTP/1.1\r\nHost: a\r\nX-\nA: b`),
    status: 400,
    type: "invalid_request",
  },
  {
    name: "a space in a header name",
    bytes: request(`GET /healthz HTTP/1.1\r\nHost: a\r\nX A: b`),
    status: 400,
    type: "invalid_request",
  },
  {
    name: "Content-Length with Transfer-Encoding: chunked (smuggling)",
    bytes: request(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\n${byokHeader}\r\nContent-Length: 6\r\nTransfer-Encoding: chunked`,
      "0\r\n\r\nG",
    ),
    status: 400,
    type: "invalid_request",
  },
  {
    name: "two different Content-Lengths",
    bytes: request(
      `POST /v1/embeddings HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6`,
      "{}{}{}",
    ),
    status: 400,
    type: "invalid_request",
  },
  {
    name: "an obfuscated Transfer-Encoding",
    bytes: request(
      `POST /v1/embeddings HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x`,
      "0\r\n\r\n",
    ),
    status: 400,
    type: "invalid_request",
  },
  {
    name: "a bad chunk size",
    bytes: request(
      `POST /v1/embeddings HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked`,
      "zz\r\n{}\r\n0\r\n\r\n",
    ),
    status: 400,
    type: "invalid_request",
  },
  {
    name: "headers over Node's limit",
    bytes: request(`GET /healthz HTTP/1.1\r\nHost: a\r\n${byokHeader}\r\nX-Big: ${"a".repeat(20_000)}`),
    status: 431,
    type: "request_header_too_large",
  },
  {
    name: "a TLS handshake on the plain port (garbage)",
    bytes: Buffer.from([
      0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, 0x0d, 0x0a, 0x0d, 0x0a,
    ]),
    status: 400,
    type: "invalid_request",
  },
  {
    name: "an unknown HTTP version",
    bytes: request("GET /healthz HTTP/9.9\r\nHost: a"),
    status: 400,
    type: "invalid_request",
  },
];

describe("requests the HTTP parser rejects", () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startGateway();
  });
  after(() => gateway.close());

  for (const input of MALFORMED) {
    test(`${input.name}: ${input.status} ${input.type} in the envelope, then closed`, async () => {
      const answer = await sendRaw(gateway, input.bytes);
      assert.equal(answer.status, input.status, answer.text.slice(0, 300));
      assert.match(answer.headers["content-type"] ?? "", /^application\/json/);
      assert.equal(answer.headers.connection, "close");
      const error = (answer.body as { error?: Record<string, unknown> } | null)?.error;
      assert.ok(error, answer.text.slice(0, 300));
      assert.equal(error.type, input.type);
      assert.equal(typeof error.message, "string");
      assert.ok("param" in error && "code" in error, "OpenAI's envelope shape");
    });
  }

  test("the parser's code is given, snake_case, without the request's bytes", async () => {
    const answer = await sendRaw(gateway, MALFORMED[0]!.bytes);
    const error = (answer.body as { error: { code: string } }).error;
    assert.match(error.code, /^[a-z_]+$/);
    assert.ok(!answer.text.includes(CANARY));
  });

  test("no log line carries a rejected request's bytes (keys in its headers included)", () => {
    const text = gateway.logs.join("");
    assert.ok(text.includes('"client error"'), "the rejections were logged");
    assert.ok(!text.includes(CANARY), "a key from a rejected request's headers was logged");
    assert.ok(!text.includes("CLIENTERRCANARY"));
  });

  test("the gateway keeps serving afterwards", async () => {
    const response = await fetch(`${gateway.url}/healthz`);
    assert.equal(response.status, 200);
  });
});

test("a request not received in time (the server's request or headers time-out) maps to 408 request_timeout", () => {
  const error = Object.assign(new Error("timeout"), { code: "ERR_HTTP_REQUEST_TIMEOUT" });
  const mapped = mapClientError(error);
  assert.equal(mapped.type, "request_timeout");
  assert.equal(mapped.status, 408);
  const unknown = mapClientError(Object.assign(new Error("x"), { code: "SOMETHING ELSE" }));
  assert.equal(unknown.code, "malformed_http");
});

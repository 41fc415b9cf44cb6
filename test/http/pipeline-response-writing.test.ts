/**
 * The pipeline's responses are written on the raw response, past Fastify's send path: the hooks' headers
 * still go out, a string carries its byte length, a stream that fails as a stream ends its response, a
 * stream whose client left is destroyed, and Fastify still logs the request's end.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { request as httpRequest } from "node:http";
import { Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { sendPipelineResponse } from "../../src/http/routes/send-pipeline-response.ts";
import { startGateway, type TestGateway } from "../support/start-gateway.ts";

describe("pipeline responses written on the raw response", () => {
  let gateway: TestGateway;
  /** The stream each probe answered with (the last one). */
  let relayed: Readable | null = null;
  before(async () => {
    gateway = await startGateway({
      routes(app) {
        app.post("/probe/whole", async (_request, reply) =>
          sendPipelineResponse(reply, {
            status: 201,
            headers: { "content-type": "application/json; charset=utf-8", "x-byok-route": "probe" },
            body: JSON.stringify({ text: "héllo … ✓" }),
          }),
        );
        app.post("/probe/failing-stream", async (_request, reply) => {
          relayed = new Readable({ read() {} });
          relayed.push("data: first\n\n");
          const stream = relayed;
          setImmediate(() => stream.destroy(new Error("probe stream failed")));
          return sendPipelineResponse(reply, {
            status: 200,
            headers: { "content-type": "text/event-stream" },
            body: relayed,
          });
        });
        app.post("/probe/invalid-header", async (_request, reply) => {
          relayed = new Readable({ read() {} });
          return sendPipelineResponse(reply, {
            status: 200,
            headers: { "content-type": "text/event-stream", "x-probe": "not a header value: ✓" },
            body: relayed,
          });
        });
        app.post("/probe/endless-stream", async (_request, reply) => {
          relayed = new Readable({ read() {} });
          relayed.push("data: first\n\n");
          return sendPipelineResponse(reply, {
            status: 200,
            headers: { "content-type": "text/event-stream" },
            body: relayed,
          });
        });
      },
    });
  });
  after(() => gateway.close());

  test("a whole answer: its status, the hooks' headers and its own, and its byte length", async () => {
    const response = await fetch(`${gateway.url}/probe/whole`, {
      method: "POST",
      headers: { "x-request-id": "pipeline-writing-1" },
    });
    assert.equal(response.status, 201);
    assert.equal(response.headers.get("x-request-id"), "pipeline-writing-1");
    assert.equal(response.headers.get("x-byok-route"), "probe");
    const body = await response.text();
    assert.deepEqual(JSON.parse(body), { text: "héllo … ✓" });
    assert.equal(Number(response.headers.get("content-length")), Buffer.byteLength(body));
    // Fastify's response listeners, set when the request arrived, still log its end.
    const line = JSON.parse(await gateway.waitForLog('"reqId":"pipeline-writing-1","res":')) as {
      msg: string;
      res: { statusCode: number };
    };
    assert.equal(line.msg, "request completed");
    assert.equal(line.res.statusCode, 201);
  });

  test("a stream that fails as a stream ends its response without the last chunk", async () => {
    const response = await fetch(`${gateway.url}/probe/failing-stream`, { method: "POST" });
    assert.equal(response.status, 200);
    // The connection is destroyed before the chunked body's end: the client sees a cut body.
    await assert.rejects(response.text());
  });

  test("a stream whose client left is destroyed", async () => {
    const client = httpRequest(`${gateway.url}/probe/endless-stream`, { method: "POST" });
    client.end();
    const [response] = (await once(client, "response")) as [import("node:http").IncomingMessage];
    await once(response, "data");
    const stream = relayed!;
    assert.equal(stream.destroyed, false);
    const closed = once(stream, "close");
    client.destroy();
    await closed;
    assert.equal(stream.destroyed, true);
  });

  test("a header Node refuses is answered by the error envelope (never a hung response), its stream released", async () => {
    const response = await fetch(`${gateway.url}/probe/invalid-header`, { method: "POST" });
    assert.equal(response.status, 500);
    assert.equal(response.headers.get("x-probe"), null);
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
    assert.equal(((await response.json()) as { error: { type: string } }).error.type, "internal_error");
    assert.equal(relayed?.destroyed, true);
  });
});

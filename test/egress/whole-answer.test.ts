/**
 * @module test/egress/whole-answer
 * Calls that ask for a whole answer (`whole: true`): collected without a body stream, with the same limits as
 * a streamed body (size cap, time-outs, abort, redirects refused), and the same text whichever way it is read.
 */
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { after, before, describe, test } from "node:test";
import {
  createEgressPolicy,
  createUpstreamClient,
  EgressError,
  toUpstreamFailure,
  type UpstreamCall,
  type UpstreamResponse,
} from "../../src/egress/index.ts";
import { type LoopbackServer, startServer } from "./support/loopback-server.ts";

const timeouts = { connectMs: 2000, headersMs: 2000, bodyIdleMs: 2000, totalMs: 5000 };
const policy = createEgressPolicy({ allowCidrs: ["127.0.0.1/32"], allowHttpHosts: ["127.0.0.1"] });

function whole(url: string, overrides: Partial<UpstreamCall> = {}): UpstreamCall {
  return {
    url,
    guarded: false,
    method: "POST",
    headers: {},
    body: "{}",
    timeouts,
    whole: true,
    ...overrides,
  };
}

/** The text of a whole answer, or the stable reason its send or its text failed with. */
async function outcomeOf(promise: Promise<UpstreamResponse>): Promise<string> {
  try {
    const response = await promise;
    assert.ok(response.whole !== undefined, "a whole answer");
    return `text:${await response.whole.text()}`;
  } catch (error) {
    return `reason:${toUpstreamFailure(error).reason}`;
  }
}

describe("whole answers", () => {
  let server: LoopbackServer;
  before(async () => {
    server = await startServer("127.0.0.1", (request, response) => {
      if (request.url === "/chunks") {
        // Several writes, a multi-byte character split across two of them.
        const euro = Buffer.from("€");
        response.writeHead(200, { "content-type": "application/json", "x-upstream": "yes" });
        response.write('{"text":"a');
        response.write(euro.subarray(0, 1));
        setTimeout(() => {
          response.write(euro.subarray(1));
          response.end('b"}');
        }, 20);
      } else if (request.url === "/empty") response.writeHead(204).end();
      else if (request.url === "/big") response.end("x".repeat(4096));
      else if (request.url === "/moved") response.writeHead(302, { location: "http://127.0.0.1:1/" }).end();
      else if (request.url === "/stall") response.writeHead(200).write("{");
      else if (request.url === "/echo") request.pipe(response);
      else if (request.url === "/hints-then-401" || request.url === "/hints-then-307") {
        // An informational head first, the final one in a later read (the review's reproduction).
        response.writeEarlyHints({ link: "</style.css>; rel=preload" });
        setTimeout(() => {
          if (request.url === "/hints-then-307")
            response.writeHead(307, { location: "http://169.254.169.254/" }).end("{}");
          else response.writeHead(401, { "retry-after": "7" }).end('{"error":"invalid key"}');
        }, 50);
      } else if (request.url === "/bom")
        response.end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')]));
      // "/silent" never answers
    });
  });
  after(() => server.close());

  test("collects the text of every chunk, with the status and headers", async () => {
    const client = createUpstreamClient({ policy });
    try {
      const response = await client.send(whole(`${server.origin}/chunks`));
      assert.equal(response.status, 200);
      assert.equal(response.headers["x-upstream"], "yes");
      assert.equal(await response.whole?.text(), '{"text":"a€b"}');
      // Read again, or as the stream a caller may still ask for: the same text.
      assert.equal(await response.whole?.text(), '{"text":"a€b"}');
      assert.equal(await response.body.text(), '{"text":"a€b"}');
      assert.equal(await outcomeOf(client.send(whole(`${server.origin}/empty`))), "text:");
      assert.equal(
        await outcomeOf(client.send(whole(`${server.origin}/echo`, { body: "ping" }))),
        "text:ping",
      );
    } finally {
      await client.close();
    }
  });

  test("skips informational heads, drops a leading byte-order mark, and answers every reader", async () => {
    const client = createUpstreamClient({ policy });
    try {
      const refused = await client.send(whole(`${server.origin}/hints-then-401`));
      assert.equal(refused.status, 401);
      assert.equal(refused.headers["retry-after"], "7");
      assert.equal(await refused.whole?.text(), '{"error":"invalid key"}');
      await assert.rejects(
        client.send(whole(`${server.origin}/hints-then-307`, { guarded: true })),
        (error) => {
          assert.ok(error instanceof EgressError);
          assert.equal(error.reason, "redirect_refused");
          return true;
        },
      );
      assert.equal(await outcomeOf(client.send(whole(`${server.origin}/bom`))), 'text:{"a":1}');
      // Two readers while the text is still arriving: both get it.
      const response = await client.send(whole(`${server.origin}/chunks`));
      const [first, second] = await Promise.all([response.whole!.text(), response.whole!.text()]);
      assert.deepEqual([first, second], ['{"text":"a€b"}', '{"text":"a€b"}']);
    } finally {
      await client.close();
    }
  });

  test("keeps the size cap, the time-outs and the redirect refusal", async () => {
    const client = createUpstreamClient({ policy, maxResponseBytes: 1024 });
    try {
      assert.equal(await outcomeOf(client.send(whole(`${server.origin}/big`))), "reason:response_too_large");
      const quick = { ...timeouts, headersMs: 150 };
      assert.equal(
        await outcomeOf(client.send(whole(`${server.origin}/silent`, { timeouts: quick }))),
        "reason:headers_timeout",
      );
      const idle = { ...timeouts, bodyIdleMs: 150 };
      assert.equal(
        await outcomeOf(client.send(whole(`${server.origin}/stall`, { timeouts: idle }))),
        "reason:body_timeout",
      );
      const total = { ...timeouts, totalMs: 200 };
      assert.equal(
        await outcomeOf(client.send(whole(`${server.origin}/stall`, { timeouts: total }))),
        "reason:total_timeout",
      );
      await assert.rejects(client.send(whole(`${server.origin}/moved`, { guarded: true })), (error) => {
        assert.ok(error instanceof EgressError);
        assert.equal(error.reason, "redirect_refused");
        return true;
      });
    } finally {
      await client.close();
    }
  });

  test("the caller's abort ends the call before and after the headers", async () => {
    const client = createUpstreamClient({ policy });
    try {
      const early = new AbortController();
      early.abort(new Error("client gone"));
      await assert.rejects(
        client.send(whole(`${server.origin}/chunks`, { signal: early.signal })),
        /client gone/,
      );
      const waiting = new AbortController();
      const pending = client.send(whole(`${server.origin}/silent`, { signal: waiting.signal }));
      setTimeout(() => waiting.abort(new Error("client left")), 50);
      await assert.rejects(pending, /client left/);
      const reading = new AbortController();
      const response = await client.send(whole(`${server.origin}/stall`, { signal: reading.signal }));
      const text = response.whole!.text();
      reading.abort(new Error("client cut"));
      await assert.rejects(text, /client cut/);
      // The pool still serves the next call.
      assert.equal(
        await outcomeOf(client.send(whole(`${server.origin}/echo`, { body: "after" }))),
        "text:after",
      );
    } finally {
      await client.close();
    }
  });

  test("the total limit cuts a call still waiting for its headers; nothing stays on the caller's signal", async () => {
    const client = createUpstreamClient({ policy });
    try {
      const caller = new AbortController();
      const total = { ...timeouts, totalMs: 150 };
      const started = performance.now();
      assert.equal(
        await outcomeOf(
          client.send(whole(`${server.origin}/silent`, { timeouts: total, signal: caller.signal })),
        ),
        "reason:total_timeout",
      );
      assert.ok(performance.now() - started < 1500, "cut by the total limit, not the headers time-out");
      assert.equal(getEventListeners(caller.signal, "abort").length, 0);
      // Served, refused or cut: the caller's signal is left as it was found.
      assert.equal(
        await outcomeOf(client.send(whole(`${server.origin}/chunks`, { signal: caller.signal }))),
        'text:{"text":"a€b"}',
      );
      await assert.rejects(client.send(whole(`${server.origin}/moved`, { signal: caller.signal })));
      assert.equal(getEventListeners(caller.signal, "abort").length, 0);
      assert.equal(caller.signal.aborted, false);
    } finally {
      await client.close();
    }
  });
});

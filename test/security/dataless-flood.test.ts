/**
 * @module test/security/dataless-flood
 * A user's own endpoint answers a stream with megabytes of empty events or comments (review R5), through the
 * real gateway from a loopback upstream: the stream ends with `invalid_upstream_event` once the run of
 * data-less events passes its bound, and the process keeps answering others meanwhile (the worst
 * event-loop block and a concurrent `/healthz` stay far under a second; the tap used to block about 5 s on 4 MiB).
 */
import assert from "node:assert/strict";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { after, before, test } from "node:test";
import { type ModelGateway, startModelGateway } from "../support/model-gateway.ts";

const KEY = "sk-custom-flood-key-7777777777777777";
const PREFIX = '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m"';
const FIRST = `data: ${PREFIX},"choices":[{"index":0,"delta":{"role":"assistant","content":"hi"},"finish_reason":null}]}\n\n`;
const LAST = `data: ${PREFIX},"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n`;
const MIB = 1024 * 1024;
/** A generous bound: the old tap blocked the event loop about 5 s on 4 MiB of blank lines. */
const MAX_BLOCK_MS = 1000;

let env: ModelGateway;
before(async () => {
  env = await startModelGateway();
});
after(() => env.close());

const FILLS: ReadonlyArray<readonly [string, string]> = [
  ["LF", "\n"],
  ["CR", "\r"],
  ["comments", ":\n\n"],
];

for (const [name, fill] of FILLS) {
  test(`4 MiB of ${name} from the user's endpoint: refused after the bound, /healthz answers meanwhile`, async () => {
    const user = await env.user({ custom: KEY }, { baseUrl: env.fakes.custom.baseUrl, model: "m" });
    const filler = Buffer.from(fill.repeat(Math.ceil(MIB / fill.length)).slice(0, MIB));
    env.fakes.custom.respondNext(async (_request, res) => {
      res.on("error", () => {}); // the gateway may end the call before the flood is written
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(FIRST);
      for (let written = 0; written < 4 && !res.destroyed; written++)
        if (!res.write(filler))
          await new Promise((resolve) => res.once("drain", resolve).once("close", resolve));
      if (!res.destroyed) res.end(LAST);
    });
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const call = (async () => {
      const response = await fetch(`${env.gateway.url}/v1/chat/completions`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${user.token}`,
          "content-type": "application/json",
          ...user.headers,
        },
        body: JSON.stringify({ model: "agent", stream: true, messages: [{ role: "user", content: "x" }] }),
      });
      assert.equal(response.status, 200);
      return Buffer.from(await response.arrayBuffer()).toString();
    })();
    let done = false;
    const finished = call.finally(() => {
      done = true;
    });
    // Another client's requests, one after another, while the flood is relayed.
    let worst = 0;
    let probes = 0;
    do {
      const started = performance.now();
      const health = await fetch(`${env.gateway.url}/healthz`);
      await health.text();
      worst = Math.max(worst, performance.now() - started);
      probes++;
    } while (!done);
    const body = await finished;
    delay.disable();
    const blockMs = delay.max / 1e6;
    assert.ok(blockMs < MAX_BLOCK_MS, `the event loop was blocked ${blockMs.toFixed(0)} ms`);
    assert.ok(worst < MAX_BLOCK_MS, `/healthz took ${worst.toFixed(0)} ms (${probes} probes)`);
    assert.ok(body.startsWith(FIRST), "the first event is relayed");
    assert.ok(
      body.endsWith('"code":"invalid_upstream_event"}}\n\n'),
      `ends: ${JSON.stringify(body.slice(-120))}`,
    );
    assert.ok(!body.includes('"finish_reason":"stop"'), "nothing after the refusal is relayed");
  });
}

/**
 * @module test/client/client-redirects
 * The kit's client never follows a redirect with the token and keys: a real loopback "gateway" answering
 * 307 to a second loopback server, which must receive nothing, for every call and for the fetch wrapper.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { ByokClientError } from "../../client/src/byok-client-error.ts";
import { createByokClient } from "../../client/src/create-byok-client.ts";

const KEYS = { openai: "sk-redirect-openai-1111111111111111", custom: "sk-redirect-custom-2222222222" };

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

async function listen(handler: http.RequestListener): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer(handler);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

let redirecting: http.Server;
let elsewhere: http.Server;
let gatewayUrl: string;
const atGateway: Seen[] = [];
const atElsewhere: Seen[] = [];
let status = 307;

before(async () => {
  const target = await listen((request, response) => {
    atElsewhere.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers });
    response.writeHead(200, { "content-type": "application/json" }).end('{"results":{}}');
  });
  elsewhere = target.server;
  const source = await listen((request, response) => {
    atGateway.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers });
    request.resume();
    response.writeHead(status, { location: `${target.url}${request.url ?? "/"}` }).end();
  });
  redirecting = source.server;
  gatewayUrl = source.url;
});

after(() => {
  for (const server of [redirecting, elsewhere]) {
    server.closeAllConnections();
    server.close();
  }
});

async function refusal(promise: Promise<unknown>): Promise<ByokClientError> {
  const error = await promise.then(
    () => assert.fail("the redirect was followed"),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof ByokClientError, String(error));
  return error;
}

test("every call refuses a redirect as unexpected_response; the redirect target receives nothing", async () => {
  const client = createByokClient({ baseUrl: gatewayUrl, token: "byok_token_redirect" });
  const calls: Array<() => Promise<unknown>> = [
    () => client.verify(KEYS),
    () => client.routes(KEYS),
    () => client.usage(KEYS),
    () => client.status(),
    () => client.heartbeat(),
    () => client.remove(),
    () => client.enroll(KEYS),
  ];
  for (const code of [301, 302, 303, 307, 308]) {
    status = code;
    for (const call of calls) {
      const error = await refusal(call());
      assert.equal(error.status, code);
      assert.equal(error.type, "unexpected_response");
      assert.equal(error.code, "redirect");
      assert.match(error.message, /redirect/);
    }
  }
  assert.ok(atGateway.some((request) => request.headers["x-byok-openai"] === KEYS.openai));
  assert.deepEqual(atElsewhere, [], "nothing reached the redirect's target");
});

test("the fetch wrapper refuses a redirect too, even when the caller asked to follow", async () => {
  status = 307;
  const client = createByokClient({ baseUrl: gatewayUrl, token: "byok_token_redirect" });
  const body = JSON.stringify({ model: "gpt-4.1-mini", messages: [] });
  for (const redirect of [undefined, "follow", "error"] as const) {
    const init: RequestInit = { method: "POST", body, ...(redirect ? { redirect } : {}) };
    const error = await refusal(client.fetch("/v1/chat/completions", init, KEYS));
    assert.equal(error.type, "unexpected_response");
    assert.equal(error.code, "redirect");
  }
  const request = new Request(`${gatewayUrl}/v1/chat/completions`, {
    method: "POST",
    body,
    redirect: "follow",
  });
  await refusal(client.fetch(request, undefined, KEYS));
  assert.deepEqual(atElsewhere, [], "nothing reached the redirect's target");
});

/**
 * @module Redirects are never followed: 301, 302, 303, 307 and 308 towards an internal literal, an
 * http downgrade, another scheme or the same origin are refused, through the guarded fetch and through
 * the official openai SDK given the guarded fetch. The redirect targets count zero requests.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import { Agent, fetch } from "undici";
import {
  createEgressPolicy,
  createGuardedFetch,
  EgressError,
  type GuardedFetch,
} from "../../src/egress/index.ts";
import { jsonHandler, type LoopbackServer, startServer } from "./support/loopback-server.ts";
import { scriptedResolver } from "./support/scripted-resolver.ts";
import { createThrowawayCa, type ThrowawayCa } from "./support/throwaway-ca.ts";

const host = "api.redirect.example";
const statuses = [301, 302, 303, 307, 308] as const;
let ca: ThrowawayCa;
let upstream: LoopbackServer;
let internal: LoopbackServer;
let plain: LoopbackServer;
let guardedFetch: GuardedFetch;

const completion = {
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1,
  model: "m",
  choices: [
    { index: 0, finish_reason: "stop", logprobs: null, message: { role: "assistant", content: "hi" } },
  ],
};

function targets(): Record<string, string> {
  return {
    internal_literal: `http://127.0.0.1:${internal.port}/steal`,
    internal_mapped: `http://[::ffff:127.0.0.1]:${internal.port}/steal`,
    http_downgrade: `http://${host}:${plain.port}/v1/chat/completions`,
    other_scheme: "file:///etc/passwd",
    same_origin: "/ok/v1/chat/completions",
  };
}

before(async () => {
  ca = createThrowawayCa();
  internal = await startServer("127.0.0.1", jsonHandler("internal"));
  plain = await startServer("127.0.0.2", jsonHandler("plain"));
  // /r/<status>/<target>/... redirects; /ok/... answers a chat completion.
  upstream = await startServer(
    "127.0.0.2",
    (request, response) => {
      const [, kind, status, target] = (request.url ?? "").split("/");
      request.resume();
      if (kind === "r") {
        response.writeHead(Number(status), {
          location: targets()[target ?? ""] ?? "/",
          "content-type": "text/plain",
        });
        response.end("upstream body that must never reach a client");
        return;
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(completion));
    },
    ca.issue(host),
  );
  const resolver = scriptedResolver({ [host]: [["127.0.0.2"]] });
  guardedFetch = createGuardedFetch(
    createEgressPolicy({ resolver: resolver.resolve, allowCidrs: ["127.0.0.2/32"] }),
    {
      ca: ca.caCert,
    },
  );
});
after(async () => {
  await guardedFetch.close();
  for (const server of [upstream, internal, plain]) await server.close();
  ca.dispose();
});

function assertTargetsUntouched(): void {
  assert.equal(internal.requests(), 0, "the internal server was never reached");
  assert.equal(plain.requests(), 0, "the plain-http server was never reached");
}

describe("redirects through the guarded fetch", () => {
  for (const status of statuses) {
    test(`${status} to every target is refused`, async () => {
      for (const target of Object.keys(targets())) {
        for (const method of ["GET", "POST"]) {
          const before = upstream.requests();
          const failure = await guardedFetch(`https://${host}:${upstream.port}/r/${status}/${target}/v1`, {
            method,
            ...(method === "POST" ? { body: "{}" } : {}),
            redirect: "follow",
          }).catch((error: unknown) => error);
          assert.ok(failure instanceof EgressError, `${status} ${target}`);
          assert.equal(failure.reason, "redirect_refused");
          assert.doesNotMatch(failure.message, /upstream body|127\.0\.0|file:/);
          assert.equal(upstream.requests(), before + 1, "exactly one request, no follow-up");
        }
      }
      assertTargetsUntouched();
    });
  }
});

describe("redirects through the openai SDK given the guarded fetch", () => {
  function client(path: string): OpenAI {
    return new OpenAI({
      baseURL: `https://${host}:${upstream.port}${path}`,
      apiKey: "sk-test-not-a-key",
      fetch: guardedFetch,
      maxRetries: 0,
    });
  }

  test("control: the SDK works through the guarded fetch", async () => {
    const result = await client("/ok/v1").chat.completions.create({
      model: "m",
      messages: [{ role: "user", content: "hi" }],
    });
    assert.equal(result.choices[0]?.message.content, "hi");
  });

  for (const status of statuses) {
    test(`${status}: the SDK surfaces redirect_refused and follows nothing`, async () => {
      for (const target of Object.keys(targets())) {
        const sdk = client(`/r/${status}/${target}/v1`);
        const failure = await sdk.chat.completions
          .create({ model: "m", messages: [{ role: "user", content: "hi" }] })
          .catch((error: unknown) => error);
        assert.ok(failure instanceof OpenAI.APIConnectionError, `${status} ${target}`);
        assert.ok(failure.cause instanceof EgressError);
        assert.equal(failure.cause.reason, "redirect_refused");
        const listing = await sdk.models.list().catch((error: unknown) => error);
        assert.ok(listing instanceof OpenAI.APIConnectionError);
      }
      assertTargetsUntouched();
    });
  }
});

describe("control", () => {
  test("an unguarded client would have followed the redirect to the internal server", async () => {
    const agent = new Agent({
      connect: {
        ca: ca.caCert,
        lookup: (_name, _options, callback) => callback(null, [{ address: "127.0.0.2", family: 4 }]),
      },
    });
    try {
      const response = await fetch(`https://${host}:${upstream.port}/r/302/internal_literal/v1`, {
        dispatcher: agent,
      });
      assert.deepEqual(await response.json(), { server: "internal" });
      assert.equal(internal.requests(), 1);
    } finally {
      await agent.close();
    }
  });
});

/**
 * X-BYOK-Route carries model names a user chose (a direct `provider/model`, a custom endpoint's model): any
 * character outside printable ASCII, and `%`, `;` and `,`, is percent-encoded so the header is always valid
 * and a name never adds a field or an attempt to it (`; source=…`, `,…@operator:…`); other names pass unchanged. A hostile review found a direct name with `✓` left the call unanswered.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { formatRouteHeader, type Route } from "../../src/routing/index.ts";
import { addUser, enroll } from "../support/gateway-client.ts";
import { startGateway, type TestGateway } from "../support/start-gateway.ts";

const route = (model: string) => ({ connection: "openai", model, source: "byok" }) as unknown as Route;

/** The header's parameters after the route: `source` must appear once, `failed` at most once. */
function parameters(header: string): string[] {
  return header
    .split(";")
    .slice(1)
    .map((part) => part.trim().split("=")[0]!);
}

describe("X-BYOK-Route's model names", () => {
  test("printable ASCII passes unchanged; anything else, and %, is percent-encoded as UTF-8", () => {
    assert.equal(formatRouteHeader(route("gpt-4.1-mini")), "openai/gpt-4.1-mini; source=byok");
    assert.equal(formatRouteHeader(route("gpt-✓")), "openai/gpt-%E2%9C%93; source=byok");
    assert.equal(formatRouteHeader(route("a%b")), "openai/a%25b; source=byok");
    assert.equal(formatRouteHeader(route("x\r\nset-cookie: y")), "openai/x%0D%0Aset-cookie: y; source=byok");
    assert.equal(formatRouteHeader(route("\ud800lone")), "openai/%EF%BF%BDlone; source=byok");
    // The header's own separators: a name cannot add a field or an attempt (a second review's finding).
    assert.equal(
      formatRouteHeader(route("gpt-4o; source=operator")),
      "openai/gpt-4o%3B source=operator; source=byok",
    );
    assert.equal(
      formatRouteHeader(route("m"), [{ route: route("a,openai/b@operator:401"), reason: "429" }]),
      "openai/m; source=byok; failed=openai/a%2Copenai/b@operator:401@byok:429",
    );
    // Names providers use keep their `:` and `@` (the parts after the last `@` are the source and reason).
    assert.equal(
      formatRouteHeader(route("llama-3-8b:free@2024")),
      "openai/llama-3-8b:free@2024; source=byok",
    );
    assert.equal(
      formatRouteHeader(route("m"), [{ route: route("😀"), reason: "429" }]),
      "openai/m; source=byok; failed=openai/%F0%9F%98%80@byok:429",
    );
  });

  test("formatRouteHeader: a model name with `; source=` or `,x@y:z` does not add parameters or attempts", () => {
    const spoofed = formatRouteHeader(route("gpt-4o; source=operator"));
    assert.deepEqual(parameters(spoofed), ["source"], spoofed);
    const failed = formatRouteHeader(route("m"), [
      { route: { connection: "openai", model: "a,openai/b@operator:401", source: "byok" }, reason: "429" },
    ]);
    const list = /failed=(.*)$/.exec(failed)![1]!.split(",");
    assert.equal(list.length, 1, failed);
  });

  test("every name of one to 64 seeded random code points makes a header Node accepts", () => {
    let seed = 7;
    const next = () => {
      seed = (seed * 48271) % 0x7fffffff;
      return seed;
    };
    const started = Date.now();
    for (let round = 0; round < 5000 && Date.now() - started < 2000; round++) {
      let name = "";
      for (let length = 1 + (next() % 64); length > 0; length--)
        name += String.fromCharCode(next() % 0x10000);
      const value = formatRouteHeader(route(name));
      assert.doesNotThrow(() => http.validateHeaderValue("x-byok-route", value), JSON.stringify(name));
      assert.match(value, /^[\x20-\x7e]*$/);
      assert.equal(value.split(";").length, 2, "one field separator: the name adds none");
    }
  });
});

describe("a direct model name outside ASCII or with the header's separators, served", () => {
  const USER_KEY = "sk-user-route-header-0000000000000";
  let gateway: TestGateway;
  let provider: http.Server;
  let token: string;
  before(async () => {
    provider = http.createServer(async (incoming, outgoing) => {
      for await (const _ of incoming);
      const body = JSON.stringify({
        id: "c",
        object: "chat.completion",
        created: 1,
        model: "m",
        choices: [
          { index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop", logprobs: null },
        ],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      });
      outgoing.writeHead(200, { "content-type": "application/json" }).end(body);
    });
    provider.listen(0, "127.0.0.1");
    await once(provider, "listening");
    gateway = await startGateway({
      config: {
        providers: {
          openai: {
            baseUrl: `http://127.0.0.1:${(provider.address() as AddressInfo).port}/v1`,
            apiKey: "sk-operator-route-header-00000000",
          },
        },
        features: { chat: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }] } },
      },
    });
    token = await addUser(gateway, "route-header");
    assert.equal((await enroll(gateway, token, { openai: USER_KEY })).status, 200);
  });
  after(async () => {
    await gateway.close();
    provider.closeAllConnections();
    provider.close();
  });

  test("served on the user's key, a direct model name cannot make the header say source=operator", async () => {
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        "x-byok-openai": USER_KEY,
      },
      body: JSON.stringify({
        model: "openai/gpt-4o; source=operator",
        messages: [{ role: "user", content: "hi" }],
      }),
    });
    await response.text();
    const header = response.headers.get("x-byok-route") ?? "";
    assert.equal(response.status, 200, header);
    // A client reading the first `source=` (as the documented grammar allows) is told the operator paid.
    const first = /;\s*source=([a-z]+)/.exec(header)?.[1];
    assert.equal(first, "byok", header);
    assert.deepEqual(parameters(header), ["source"], header);
  });

  test("is answered, its route header encoded", async () => {
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        "x-byok-openai": USER_KEY,
      },
      body: JSON.stringify({ model: "openai/gpt-✓", messages: [{ role: "user", content: "hi" }] }),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("x-byok-route"), "openai/gpt-%E2%9C%93; source=byok");
    await response.text();
    assert.equal(gateway.byok.answerMemory.held, 0);
  });
});

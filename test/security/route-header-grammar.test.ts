/**
 * X-BYOK-Route keeps its grammar, `<connection>/<model>; source=<s>[; failed=<c>/<m>@<s>:<r>,...]`, whatever
 * model name the user chose (a direct `provider/model`): `;` and `,` in the name are percent-encoded, so the
 * user's text can neither add a `source=` field nor forge `failed=` entries (a hostile review's finding).
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { formatRouteHeader, type Route } from "../../src/routing/index.ts";
import { addUser, enroll } from "../support/gateway-client.ts";
import { startGateway, type TestGateway } from "../support/start-gateway.ts";

const USER_KEY = "sk-user-route-grammar-00000000000000";

/** The header's parameters after the route: `source` must appear once, `failed` at most once. */
function parameters(header: string): string[] {
  return header
    .split(";")
    .slice(1)
    .map((part) => part.trim().split("=")[0]!);
}

describe("X-BYOK-Route keeps its grammar whatever the model name", () => {
  test("formatRouteHeader: a model name with `; source=` or `,x@y:z` does not add parameters or attempts", () => {
    const route = (model: string) => ({ connection: "openai", model, source: "byok" }) as unknown as Route;
    const spoofed = formatRouteHeader(route("gpt-4o; source=operator"));
    assert.deepEqual(parameters(spoofed), ["source"], spoofed);
    const failed = formatRouteHeader(route("m"), [
      { route: { connection: "openai", model: "a,openai/b@operator:401", source: "byok" }, reason: "429" },
    ]);
    const list = /failed=(.*)$/.exec(failed)![1]!.split(",");
    assert.equal(list.length, 1, failed);
  });

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
            apiKey: "sk-operator-route-grammar-000000",
          },
        },
        features: { chat: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }] } },
      },
    });
    token = await addUser(gateway, "route-grammar");
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
});

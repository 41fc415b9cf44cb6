/**
 * @module test/peers/failing-upstream
 * The ways an upstream fails, on command, as handlers for the loopback fakes' `respondNext` (a stall before
 * headers, an error status with or without Retry-After, Anthropic's 529, a stream cut mid-way), and a base URL
 * whose port refuses connections.
 */
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { FakeHandler } from "./fake-openai-provider.ts";

/** Never answers (the gateway's header time limit ends the attempt); the socket stays open until the gateway leaves. */
export const stallBeforeHeaders: FakeHandler = () => {};

/** An error answer in the OpenAI/Anthropic shape, with a Retry-After when given. */
export function failWithStatus(status: number, retryAfter?: string): FakeHandler {
  return (_request, response) => {
    response.writeHead(status, {
      "content-type": "application/json",
      ...(retryAfter === undefined ? {} : { "retry-after": retryAfter }),
    });
    response.end(
      JSON.stringify({
        type: "error",
        error: {
          message: `failing on purpose (${status})`,
          type: status === 529 ? "overloaded_error" : "server_error",
        },
      }),
    );
  };
}

/** A stream that starts (headers and one chunk reach the gateway) and then dies: never to be retried. */
export const cutStreamMidway: FakeHandler = (_request, response) => {
  response.writeHead(200, { "content-type": "text/event-stream" });
  const chunk = {
    id: "chatcmpl-cut",
    object: "chat.completion.chunk",
    created: 1,
    model: "cut",
    choices: [{ index: 0, delta: { role: "assistant", content: "Half" }, finish_reason: null }],
  };
  response.write(`data: ${JSON.stringify(chunk)}\n\n`, () => response.socket?.destroy());
};

/** `http://127.0.0.1:<port>` where nothing listens: every connection is refused. */
export async function refusingBaseUrl(path = "/v1"): Promise<string> {
  const server = http.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, "close");
  return `http://127.0.0.1:${port}${path}`;
}

/** @module test/peers/hostile-upstream.test
 * The hostile upstream really echoes the credential it received in each failure mode and dialect, so the canary
 * matrix cannot pass because its upstream went quiet; and it answers correctly in "ok" mode.
 */
import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, test } from "node:test";
import { WebSocket } from "ws";
import {
  FAILURE_MODES,
  type HostileUpstream,
  LIVE_MODES,
  STREAM_ONLY_MODES,
  startHostileUpstream,
} from "./hostile-upstream.ts";

const KEY = "sk-hostile-peer-test-Kq7Wm2Xv9Lp4";
const LIMIT = 4096;

const DIALECTS = [
  { name: "OpenAI chat", path: "/openai/v1/chat/completions", headers: { authorization: `Bearer ${KEY}` } },
  { name: "Anthropic", path: "/anthropic/v1/messages", headers: { "x-api-key": KEY } },
  { name: "Deepgram", path: "/deepgram/v1/listen?model=nova-3", headers: { authorization: `Token ${KEY}` } },
] as const;

/** POSTs on a socket of its own and collects status, headers and every byte until the end, a reset or `stopAfter` bytes. */
function post(
  origin: string,
  path: string,
  headers: Record<string, string>,
  body: unknown,
  stopAfter = Number.POSITIVE_INFINITY,
): Promise<{ status: number; head: string; text: string; cut: boolean }> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${origin}${path}`, {
      method: "POST",
      agent: false,
      headers: { "content-type": "application/json", ...headers },
    });
    request.on("error", reject);
    request.on("response", (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const head = Object.entries(response.headers)
        .map(([name, value]) => `${name}: ${String(value)}`)
        .join("\n");
      const done = (cut: boolean) =>
        resolve({
          status: response.statusCode ?? 0,
          head,
          text: Buffer.concat(chunks).toString("utf8"),
          cut,
        });
      response.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= stopAfter) {
          request.destroy();
          done(true);
        }
      });
      response.on("end", () => done(false));
      response.on("error", () => done(true));
      response.on("aborted", () => done(true));
    });
    request.end(JSON.stringify(body));
  });
}

/** `text` with every JSON `\uXXXX` escape decoded (what a client's JSON.parse reads). */
function decodeJsonEscapes(text: string): string {
  return text.replace(/\\u([0-9a-fA-F]{4})/g, (_match, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );
}

describe("hostile upstream (test peer)", () => {
  let hostile: HostileUpstream;
  before(async () => {
    hostile = await startHostileUpstream({ maxResponseBytes: LIMIT, unterminatedBytes: 2048 });
  });
  after(() => hostile.close());

  for (const dialect of DIALECTS) {
    for (const stream of [false, true]) {
      for (const mode of FAILURE_MODES) {
        if (!stream && STREAM_ONLY_MODES.has(mode)) continue;
        if (mode === "reset") continue; // a reset may drop what was sent; the matrix covers it
        test(`${dialect.name} · ${stream ? "streamed" : "non-streamed"} · ${mode}: the key is echoed`, async () => {
          hostile.mode = mode;
          const stopAfter = mode === "stall" ? 1 : Number.POSITIVE_INFINITY;
          const before = hostile.requests.length;
          const got = await post(hostile.origin, dialect.path, dialect.headers, { stream }, stopAfter);
          assert.equal(hostile.requests[before]?.key, KEY, "the credential was read");
          // JSON escapes decoded: the escaped-echo mode hides the key from a byte search.
          const seen = decodeJsonEscapes(`${got.head}\n${got.text}`);
          assert.ok(seen.includes(KEY), `${got.status}: ${got.text.slice(0, 300)}`);
          if (mode === "escaped-echo") assert.match(got.text, /\\u00/, "the key is also sent escaped");
          if (mode === "too-large") assert.ok(got.text.length > LIMIT, "past the limit");
          if (mode === "error-4xx" || mode === "error-5xx") assert.ok(got.status >= 400);
          if (mode === "error-event") assert.match(got.text, /"error"/);
          if (mode === "redirect") assert.match(got.head, new RegExp(`location: .*${KEY}`));
        });
      }
    }
  }

  test("ok mode answers each dialect with a complete body", async () => {
    hostile.mode = "ok";
    const chat = await post(hostile.origin, DIALECTS[0].path, DIALECTS[0].headers, { stream: true });
    assert.match(chat.text, /data: \[DONE\]\n\n$/);
    const messages = await post(hostile.origin, DIALECTS[1].path, DIALECTS[1].headers, { stream: true });
    assert.match(messages.text, /event: message_stop\n/);
    const listen = await post(hostile.origin, DIALECTS[2].path, DIALECTS[2].headers, {});
    assert.equal(listen.status, 200);
    assert.equal(
      (JSON.parse(listen.text) as { results: { channels: unknown[] } }).results.channels.length,
      1,
    );
  });

  for (const mode of LIVE_MODES) {
    if (mode === "reset" || mode === "too-large") continue;
    test(`live · ${mode}: the key is echoed in the refusal, a message or the close reason`, async () => {
      hostile.mode = mode;
      const ws = new WebSocket(`${hostile.origin.replace(/^http/, "ws")}/deepgram/v1/listen`, {
        headers: { authorization: `Token ${KEY}` },
      });
      const seen: string[] = [];
      await new Promise<void>((resolve) => {
        ws.on("unexpected-response", (request, response) => {
          seen.push(JSON.stringify(response.headers));
          response.on("data", (chunk: Buffer) => seen.push(chunk.toString("utf8")));
          response.on("end", () => {
            request.destroy();
            resolve();
          });
        });
        ws.on("message", (data) => seen.push(String(data)));
        ws.on("error", () => {});
        ws.on("close", (_code, reason) => {
          seen.push(reason.toString("utf8"));
          resolve();
        });
      });
      assert.ok(decodeJsonEscapes(seen.join("\n")).includes(KEY), seen.join("\n").slice(0, 300));
    });
  }
});

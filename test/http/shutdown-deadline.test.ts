/**
 * @module test/http/shutdown-deadline
 * Shutdown that ends: the real `byok-gateway serve` with streams that never end in flight, SIGTERM, and
 * the process exits within `server.shutdownTimeoutMs` plus a margin; the streamed clients get a clean
 * error event in their dialect (`service_unavailable`, code `shutting_down`), a pending answer is a 503,
 * the upstream calls are aborted and every call's usage row is in the SQLite file.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { startFakeAnthropicProvider } from "../peers/fake-anthropic-provider.ts";
import { startFakeOpenAiProvider } from "../peers/fake-openai-provider.ts";
import { MAIN, runCli } from "../support/run-cli.ts";
import { createTempDir, TEST_PEPPER } from "../support/start-gateway.ts";

const SHUTDOWN_TIMEOUT_MS = 1500;
/** Generous: the process starts no work after the deadline but the cut and exit, on a loaded machine. */
const EXIT_MARGIN_MS = 4000;

/** The `data:` payloads of an SSE text, parsed. */
function dataEvents(text: string): Array<Record<string, unknown>> {
  return text
    .split("\n")
    .filter((line) => line.startsWith("data: ") && line !== "data: [DONE]")
    .map((line) => JSON.parse(line.slice("data: ".length)) as Record<string, unknown>);
}

/** Reads a streamed response to its end after its first bytes arrived; resolves with everything read. */
async function readAfterFirstBytes(response: Response): Promise<{ first: string; rest: Promise<string> }> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const first = decoder.decode((await reader.read()).value, { stream: true });
  const rest = (async () => {
    let text = first;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text;
      text += decoder.decode(value, { stream: true });
    }
  })();
  return { first, rest };
}

test("SIGTERM with endless streams in flight: clean error events, a 503, usage rows, exit within the deadline", async (t) => {
  const openai = await startFakeOpenAiProvider();
  const anthropic = await startFakeAnthropicProvider();
  t.after(() => Promise.all([openai.close(), anthropic.close()]));
  // The OpenAI stream never ends: a chunk every 100 ms for as long as the gateway reads it.
  const upstreamAborted = openai.nextAbortedResponse();
  openai.respondNext((_request, response) => {
    response.writeHead(200, { "content-type": "text/event-stream" });
    let n = 0;
    const chunk = () =>
      response.write(
        `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content: `${n++} ` }, finish_reason: null }] })}\n\n`,
      );
    chunk();
    const timer = setInterval(chunk, 100);
    response.once("close", () => clearInterval(timer));
  });

  const dataDir = createTempDir("byok-shutdown-");
  const configFile = join(dataDir, "config.json");
  writeFileSync(
    configFile,
    JSON.stringify({
      dataDir,
      server: { host: "127.0.0.1", port: 0, shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS },
      providers: {
        openai: { baseUrl: openai.baseUrl, apiKey: "sk-operator-openai-shutdown-000000" },
        anthropic: { baseUrl: anthropic.origin, apiKey: "sk-ant-operator-shutdown-0000000000" },
      },
      features: {
        summary: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }], operatorFallback: true },
        claude: { routes: [{ provider: "anthropic", model: "claude-fake-1" }], operatorFallback: true },
      },
    }),
  );
  const env = { BYOK_PEPPER: TEST_PEPPER };
  const added = await runCli(["users", "add", "shutdown-user", "--config", configFile], { env });
  assert.equal(added.code, 0, added.stderr);
  const token = added.stdout.trim();

  const child = spawn(process.execPath, [MAIN, "serve", "--config", configFile], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  t.after(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  let output = "";
  const listening = Promise.withResolvers<string>();
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk;
    const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
    if (match) listening.resolve(match[1]!);
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk;
  });
  const exited = once(child, "exit") as Promise<[number | null, string | null]>;
  void exited.then(() => listening.reject(new Error(`serve exited early:\n${output}`)));
  const url = await listening.promise;

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
  const chat = await post("/v1/chat/completions", {
    model: "summary",
    stream: true,
    messages: [{ role: "user", content: "go on forever" }],
  });
  assert.equal(chat.status, 200);
  const chatStream = await readAfterFirstBytes(chat);
  const messages = await post(
    "/v1/messages",
    { model: "claude", max_tokens: 100, stream: true, messages: [{ role: "user", content: "hang" }] },
    { "anthropic-version": "2023-06-01" },
  );
  assert.equal(messages.status, 200);
  const messagesStream = await readAfterFirstBytes(messages);
  const answering = Promise.withResolvers<void>();
  openai.respondNext((_request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.flushHeaders(); // the answer never comes
    answering.resolve();
  });
  const pending = post("/v1/chat/completions", {
    model: "summary",
    messages: [{ role: "user", content: "x" }],
  });
  await answering.promise;

  const signalledAt = performance.now();
  child.kill("SIGTERM");
  const ended = await Promise.race([
    exited,
    delay(SHUTDOWN_TIMEOUT_MS + EXIT_MARGIN_MS, "still running", { ref: false }),
  ]);
  const tookMs = performance.now() - signalledAt;
  if (typeof ended === "string") assert.fail(`no exit ${tookMs} ms after SIGTERM:\n${output}`);
  assert.equal(ended[0], 0, output);
  assert.ok(tookMs >= SHUTDOWN_TIMEOUT_MS * 0.9, `in-flight calls had until the deadline (${tookMs} ms)`);
  assert.ok(tookMs < SHUTDOWN_TIMEOUT_MS + EXIT_MARGIN_MS, `exited ${tookMs} ms after SIGTERM`);

  const chatEvents = dataEvents(await chatStream.rest);
  assert.deepEqual(chatEvents.at(-1), {
    error: {
      message: "The gateway is shutting down; this call was ended.",
      type: "service_unavailable",
      param: null,
      code: "shutting_down",
    },
  });
  const anthropicText = await messagesStream.rest;
  assert.match(anthropicText, /event: error\ndata: .*"shutting_down"/);
  const answer = await pending;
  assert.equal(answer.status, 503);
  assert.equal(((await answer.json()) as { error: { code: string } }).error.code, "shutting_down");
  await upstreamAborted; // the fake saw the gateway close the upstream stream

  const db = new DatabaseSync(join(dataDir, "byok.sqlite"), { readOnly: true });
  t.after(() => db.close());
  const rows = db
    .prepare(
      "SELECT operation, status, outcome FROM usage_records WHERE user_id = ? ORDER BY operation, status",
    )
    .all("shutdown-user");
  assert.deepEqual(
    rows.map((row) => ({ ...row })),
    [
      { operation: "chat", status: 200, outcome: "service_unavailable" },
      { operation: "chat", status: 503, outcome: "service_unavailable" },
      { operation: "messages", status: 200, outcome: "service_unavailable" },
    ],
  );
});

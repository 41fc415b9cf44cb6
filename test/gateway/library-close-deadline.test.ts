/**
 * @module test/gateway/library-close-deadline
 * The library's close has a deadline too: `byok.close({ deadlineMs })` with a stream in flight (no HTTP
 * server: the pipeline called directly) waits that long, then cuts it with a `shutting_down` error event,
 * records its usage and returns.
 */
import assert from "node:assert/strict";
import type { Readable } from "node:stream";
import { test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { createByok } from "../../src/library/index.ts";
import { createLogger } from "../../src/telemetry/index.ts";
import { startFakeOpenAiProvider } from "../peers/fake-openai-provider.ts";
import { captureLogs, createTempDir, TEST_PEPPER } from "../support/start-gateway.ts";

const DEADLINE_MS = 300;

test("byok.close({ deadlineMs }) cuts a stream still open at the deadline and records it", async (t) => {
  const openai = await startFakeOpenAiProvider();
  t.after(() => openai.close());
  const recorded: string[] = [];
  const byok = await createByok({
    config: {
      pepper: TEST_PEPPER,
      dataDir: createTempDir(),
      providers: { openai: { baseUrl: openai.baseUrl, apiKey: "sk-operator-openai-library-00000000" } },
      features: {
        summary: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }], operatorFallback: true },
      },
    },
    logger: createLogger({ level: "silent", destination: captureLogs().destination }),
    onServed: (call) => recorded.push(call.outcome),
  });
  const { token } = await byok.users.addUser("library-user", null);
  const context = await byok.handle({ authorization: `Bearer ${token}` });
  const response = await byok.pipeline.chatCompletions(
    { userId: "library-user", plan: null, byok: context.byok, signal: new AbortController().signal },
    { model: "summary", stream: true, messages: [{ role: "user", content: "hang" }] },
  );
  assert.equal(response.status, 200);
  let text = "";
  const body = response.body as Readable;
  body.setEncoding("utf8");
  body.on("data", (chunk: string) => {
    text += chunk;
  });
  const bodyEnded = new Promise<void>((resolve) => body.once("end", resolve));

  const startedAt = performance.now();
  const closed = byok.close({ deadlineMs: DEADLINE_MS });
  const outcome = await Promise.race([
    closed.then(() => "closed"),
    delay(DEADLINE_MS + 5_000, "hung", { ref: false }),
  ]);
  const tookMs = performance.now() - startedAt;
  assert.equal(outcome, "closed", "close returned");
  assert.ok(tookMs >= DEADLINE_MS * 0.9, `the stream had until the deadline (${tookMs} ms)`);
  await bodyEnded;
  assert.match(text, /data: \{"error":\{[^\n]*"code":"shutting_down"/);
  assert.deepEqual(recorded, ["service_unavailable"]);
});

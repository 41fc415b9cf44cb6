/**
 * @module test/support/replica-streams
 * Streams held open across replicas: the fake provider holds the next stream, the client reads it until it ends.
 */
import type { FakeProvider } from "../peers/fake-openai-provider.ts";

/** The fake answers the next chat request with a stream's headers and one chunk, then holds it open. */
export function holdNextStream(fake: FakeProvider): Promise<void> {
  return new Promise((resolve) => {
    fake.respondNext((request, response) => {
      const model = (request.body as { model?: string } | null)?.model ?? "gpt-4o-mini";
      response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      const chunk = {
        id: "chatcmpl-held",
        object: "chat.completion.chunk",
        created: 1_700_000_000,
        model,
        choices: [
          { index: 0, delta: { role: "assistant", content: "held " }, logprobs: null, finish_reason: null },
        ],
      };
      response.write(`data: ${JSON.stringify(chunk)}\n\n`);
      resolve();
    });
  });
}

export interface OpenStream {
  readonly status: number;
  /** Everything read so far. */
  readonly text: () => string;
  /** Resolves when the body ends: "done" (ended), or "error" (cut: the connection failed mid-body). */
  readonly ended: Promise<"done" | "error">;
}

/** Opens a streamed chat call and resolves once its first bytes arrived (or at once for a refusal). */
export async function openStream(
  url: string,
  token: string,
  model = "chat",
  headers: Record<string, string> = {},
): Promise<OpenStream> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
    body: JSON.stringify({ model, stream: true, messages: [{ role: "user", content: "hold on" }] }),
  });
  let text = "";
  const decoder = new TextDecoder();
  const reader = response.body!.getReader();
  const first = await reader.read().catch(() => ({ done: true, value: undefined }));
  if (first.value !== undefined) text += decoder.decode(first.value, { stream: true });
  const ended = (async (): Promise<"done" | "error"> => {
    if (first.done) return "done";
    try {
      for (;;) {
        const next = await reader.read();
        if (next.done) return "done";
        text += decoder.decode(next.value, { stream: true });
      }
    } catch {
      return "error";
    }
  })();
  return { status: response.status, text: () => text, ended };
}

/** Resolves once `check` holds, asking again every `everyMs`; fails with `what` after `timeoutMs`. */
export async function eventually(
  what: string,
  check: () => Promise<boolean>,
  options: { timeoutMs?: number; everyMs?: number } = {},
): Promise<number> {
  const started = performance.now();
  const deadline = started + (options.timeoutMs ?? 10_000);
  for (;;) {
    if (await check()) return performance.now() - started;
    if (performance.now() > deadline)
      throw new Error(`not within ${options.timeoutMs ?? 10_000} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 25));
  }
}

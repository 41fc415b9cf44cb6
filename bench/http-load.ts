/**
 * @module bench/http-load
 * Load generation for the proxy bench over undici keep-alive connections: sequential latency, closed-loop
 * throughput and streaming timings against one target. Every response status is checked.
 */
import { Client, type Dispatcher, Pool } from "undici";

export const CHAT_PATH = "/v1/chat/completions";

/** Where to send chat completions, with the headers and model name that target needs. */
export interface Target {
  readonly name: string;
  readonly origin: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly model: string;
}

/** One target's connections: one for sequential work, a pool of `concurrency` for throughput. */
export interface Connection {
  readonly target: Target;
  readonly single: Client;
  readonly wide: Pool;
  readonly headers: Readonly<Record<string, string>>;
  readonly plainBody: string;
  readonly streamBody: string;
  close(): Promise<void>;
}

export interface StreamSamples {
  readonly ttfbNs: number[];
  readonly totalNs: number[];
}

export function connect(target: Target, concurrency: number): Connection {
  const options = { keepAliveTimeout: 60_000, pipelining: 1 };
  const single = new Client(target.origin, options);
  const wide = new Pool(target.origin, { ...options, connections: concurrency });
  const messages = [{ role: "user", content: "hi" }];
  return {
    target,
    single,
    wide,
    headers: { ...target.headers, "content-type": "application/json" },
    plainBody: JSON.stringify({ model: target.model, messages }),
    streamBody: JSON.stringify({
      model: target.model,
      messages,
      stream: true,
      stream_options: { include_usage: true },
    }),
    close: async () => {
      await Promise.all([single.close(), wide.close()]);
    },
  };
}

async function post(
  connection: Connection,
  dispatcher: Dispatcher,
  body: string,
): Promise<Dispatcher.ResponseData> {
  let response: Dispatcher.ResponseData;
  try {
    response = await dispatcher.request({
      method: "POST",
      path: CHAT_PATH,
      headers: connection.headers,
      body,
    });
  } catch (error) {
    throw new Error(`${connection.target.name}: POST ${CHAT_PATH} failed`, { cause: error });
  }
  if (response.statusCode < 200 || response.statusCode > 299) {
    const text = await response.body.text();
    throw new Error(
      `${connection.target.name}: HTTP ${response.statusCode} from POST ${CHAT_PATH}: ${text.slice(0, 2000)}`,
    );
  }
  return response;
}

/**
 * Sends one request of each kind and checks the answers look like OpenAI chat completions; returns the
 * gateway's `x-byok-*` response headers (none from the other targets), to show which path was measured.
 */
export async function checkTarget(connection: Connection): Promise<string[]> {
  const name = connection.target.name;
  const first = await post(connection, connection.single, connection.plainBody);
  const byokHeaders = Object.entries(first.headers)
    .filter(([header]) => header.startsWith("x-byok-"))
    .map(([header, value]) => `${header}: ${String(value)}`);
  const plain = (await first.body.json()) as {
    object?: unknown;
    choices?: { message?: { content?: unknown } }[];
    usage?: unknown;
  };
  if (plain.object !== "chat.completion" || typeof plain.choices?.[0]?.message?.content !== "string")
    throw new Error(`${name}: not a chat.completion: ${JSON.stringify(plain).slice(0, 500)}`);
  const text = await (await post(connection, connection.single, connection.streamBody)).body.text();
  const events = text
    .split("\n")
    .filter((line) => line.startsWith("data: "))
    .map((line) => line.slice(6));
  const chunks = events
    .slice(0, -1)
    .map((event) => JSON.parse(event) as { choices: unknown[]; usage?: unknown });
  const content = chunks.filter((chunk) => chunk.choices.length > 0).length;
  const usage = chunks.some((chunk) => chunk.choices.length === 0 && chunk.usage);
  if (events.at(-1) !== "[DONE]" || content !== 50 || !usage)
    throw new Error(`${name}: stream had ${content} content chunks, usage ${usage}, last ${events.at(-1)}`);
  return byokHeaders;
}

/** `count` sequential non-streaming requests on one connection; per-request latency in ns. */
export async function latencySamples(connection: Connection, count: number): Promise<number[]> {
  const samples: number[] = [];
  for (let index = 0; index < count; index++) {
    const start = process.hrtime.bigint();
    await (await post(connection, connection.single, connection.plainBody)).body.text();
    samples.push(Number(process.hrtime.bigint() - start));
  }
  return samples;
}

/** Requests per second completed in `windowMs`, after `warmupMs`, with `concurrency` requests in flight. */
export interface ThroughputResult {
  /** Requests per second inside the measured window. */
  readonly rps: number;
  /** Every request completed, warm-up included (to divide the server's CPU time by). */
  readonly requests: number;
}

export async function throughput(
  connection: Connection,
  concurrency: number,
  warmupMs: number,
  windowMs: number,
): Promise<ThroughputResult> {
  const windowStart = performance.now() + warmupMs;
  const windowEnd = windowStart + windowMs;
  let completed = 0;
  let requests = 0;
  const loop = async () => {
    while (performance.now() < windowEnd) {
      await (await post(connection, connection.wide, connection.plainBody)).body.text();
      requests++;
      const now = performance.now();
      if (now >= windowStart && now <= windowEnd) completed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { rps: completed / (windowMs / 1000), requests };
}

/** `count` sequential streams: time to the first body byte and to the end of the body, in ns. */
export async function streamSamples(connection: Connection, count: number): Promise<StreamSamples> {
  const ttfbNs: number[] = [];
  const totalNs: number[] = [];
  for (let index = 0; index < count; index++) {
    const start = process.hrtime.bigint();
    const response = await post(connection, connection.single, connection.streamBody);
    let first: bigint | null = null;
    let tail = "";
    for await (const chunk of response.body) {
      first ??= process.hrtime.bigint();
      tail = (tail + String(chunk)).slice(-32);
    }
    const end = process.hrtime.bigint();
    if (first === null || !tail.includes("[DONE]"))
      throw new Error(`${connection.target.name}: a stream ended without data: [DONE]`);
    ttfbNs.push(Number(first - start));
    totalNs.push(Number(end - start));
  }
  return { ttfbNs, totalNs };
}

/** The `fraction` quantile (nearest rank) of `values`. */
export function quantile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((left, right) => left - right);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

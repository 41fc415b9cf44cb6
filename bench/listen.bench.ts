/**
 * @module bench/listen.bench
 * Live transcription through the gateway against the same fake Deepgram directly, in one run: session
 * open time, a frame's round trip (audio up, Results down) and audio throughput. Fake and gateway each run
 * in a child process (the gateway from its .ts source, with Node's default heap settings); this process is
 * the client (`ws`).
 */
import { WebSocket } from "ws";
import { startPeer } from "./peers/start-peer.ts";

const OPENS = 200;
const ROUND_TRIPS = 2000;
const THROUGHPUT_BYTES = 32 * 1024 * 1024;
const THROUGHPUT_FRAME = 32 * 1024;
const RUNS = 5;
const FRAME = Buffer.alloc(640, 1); // 20 ms of 16 kHz linear16
const QUERY = "encoding=linear16&sample_rate=16000";

interface Target {
  readonly name: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

const median = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function open(target: Target): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(target.url, { headers: target.headers, perMessageDeflate: false });
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
    ws.once("unexpected-response", (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
  });
}

async function closeStream(ws: WebSocket): Promise<void> {
  const closed = new Promise<void>((resolve) => ws.once("close", () => resolve()));
  ws.send(JSON.stringify({ type: "CloseStream" }));
  await closed;
}

/** Median time from connecting to an open session (auth, routing, admission and the provider's handshake). */
async function openTime(target: Target): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < OPENS; i++) {
    const started = process.hrtime.bigint();
    const ws = await open(target);
    times.push(Number(process.hrtime.bigint() - started) / 1000);
    await closeStream(ws);
  }
  return median(times);
}

/** Median time from sending one 20 ms frame to receiving its Results, one frame at a time. */
async function roundTrip(target: Target): Promise<number> {
  const ws = await open(target);
  const times: number[] = [];
  let waiting: (() => void) | null = null;
  ws.on("message", () => waiting?.());
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const answered = new Promise<void>((resolve) => {
      waiting = resolve;
    });
    const started = process.hrtime.bigint();
    ws.send(FRAME);
    await answered;
    times.push(Number(process.hrtime.bigint() - started) / 1000);
  }
  await closeStream(ws);
  return median(times);
}

/** Audio MiB per second: frames sent as fast as the socket takes them, until every Results came back. */
async function throughput(target: Target): Promise<number> {
  const ws = await open(target);
  const frames = THROUGHPUT_BYTES / THROUGHPUT_FRAME;
  const frame = Buffer.alloc(THROUGHPUT_FRAME, 2);
  let results = 0;
  const done = new Promise<void>((resolve) =>
    ws.on("message", () => {
      results += 1;
      if (results === frames) resolve();
    }),
  );
  const started = process.hrtime.bigint();
  for (let i = 0; i < frames; i++) {
    if (ws.bufferedAmount > 4 * 1024 * 1024) {
      await new Promise<void>((resolve) => ws.send(frame, () => resolve()));
    } else {
      ws.send(frame);
    }
  }
  await done;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await closeStream(ws);
  return THROUGHPUT_BYTES / (1024 * 1024) / seconds;
}

const fake = await startPeer("fake deepgram", "deepgram-peer.ts");
const gateway = await startPeer("gateway", "listen-gateway-peer.ts", [fake.ready.origin]);
try {
  const targets: Target[] = [
    {
      name: "direct",
      url: `${fake.ready.origin.replace(/^http/, "ws")}/v1/listen?model=nova-3&${QUERY}`,
      headers: { authorization: "Token dg-bench-key-0123456789" },
    },
    {
      name: "gateway (BYOK-served)",
      url: `${gateway.ready.origin.replace(/^http/, "ws")}/v1/listen?model=${gateway.ready.model}&${QUERY}`,
      headers: gateway.ready.headers,
    },
  ];
  const rows: Array<{ name: string; open: number; rtt: number; mibs: number }> = [];
  for (const target of targets) await roundTrip(target); // warm-up
  for (const target of targets) {
    const opens: number[] = [];
    const rtts: number[] = [];
    const rates: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      opens.push(await openTime(target));
      rtts.push(await roundTrip(target));
      rates.push(await throughput(target));
    }
    rows.push({ name: target.name, open: median(opens), rtt: median(rtts), mibs: median(rates) });
  }
  const [direct, viaGateway] = rows as [(typeof rows)[0], (typeof rows)[0]];
  console.log(
    `\nLive transcription (medians of ${RUNS} runs: ${OPENS} opens, ${ROUND_TRIPS} frame round trips, ${THROUGHPUT_BYTES / 1024 / 1024} MiB of audio)\n`,
  );
  console.log("| target                | session open | frame round trip | audio throughput |");
  console.log("|-----------------------|-------------:|-----------------:|-----------------:|");
  for (const row of rows) {
    console.log(
      `| ${row.name.padEnd(21)} | ${`${row.open.toFixed(0)} µs`.padStart(12)} | ${`${row.rtt.toFixed(0)} µs`.padStart(16)} | ${`${row.mibs.toFixed(1)} MiB/s`.padStart(16)} |`,
    );
  }
  console.log(
    `\nThe gateway adds ${(viaGateway.open - direct.open).toFixed(0)} µs to opening a session (auth, validation, routing, ` +
      `admission, the provider's handshake), ${(viaGateway.rtt - direct.rtt).toFixed(0)} µs to a frame's round trip ` +
      `(${(viaGateway.rtt / direct.rtt).toFixed(2)}x direct), and carries ${((viaGateway.mibs / direct.mibs) * 100).toFixed(0)}% ` +
      "of the direct audio throughput.",
  );
  console.log(`Gateway peak RSS: ${((await gateway.maxRssKiB()) / 1024).toFixed(1)} MiB`);
} finally {
  await gateway.stop();
  await fake.stop();
}

/**
 * @module bench/paired-cpu
 * CPU per request of two builds side by side on a busy machine: `node bench/paired-cpu.ts <root A> <root B> [rounds]`
 * alternates short 64-connection windows, then restarts both in the other order (cancelling which-started-first bias).
 */
import { connect, median, throughput } from "./http-load.ts";
import { startGatewayPeer } from "./peers/start-gateway-peer.ts";
import { startPeer } from "./peers/start-peer.ts";

const [rootA, rootB] = [process.argv[2], process.argv[3]];
if (rootA === undefined || rootB === undefined)
  throw new Error("usage: paired-cpu.ts <root A> <root B> [rounds]");
const rounds = Number(process.argv[4] ?? 10);
/** Both started the same way (the flag the start path applies itself), so only the build differs. */
const NODE_OPTIONS = "--max-semi-space-size=4";
const WINDOW_MS = 1500;

/** One pass: both builds started (`first` first), warmed, then `rounds` paired windows; A ÷ B per round. */
async function pass(fakeOrigin: string, first: "A" | "B"): Promise<number[]> {
  const order = first === "A" ? (["A", "B"] as const) : (["B", "A"] as const);
  const started = [];
  for (const name of order) {
    const root = name === "A" ? rootA! : rootB!;
    const peer = await startGatewayPeer(`gateway ${name}`, fakeOrigin, {
      baseline: { root, nodeOptions: NODE_OPTIONS },
    });
    started.push({ name, peer, connection: connect({ name, ...peer.ready }, 64) });
  }
  try {
    for (const target of started) await throughput(target.connection, 64, 0, 2000);
    const ratios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const cpu: Record<string, number> = {};
      for (const target of round % 2 === 0 ? started : [...started].reverse()) {
        const before = target.peer.cpuMicros();
        const { requests } = await throughput(target.connection, 64, 0, WINDOW_MS);
        cpu[target.name] = (target.peer.cpuMicros() - before) / requests;
      }
      ratios.push(cpu.A! / cpu.B!);
      console.log(
        `${first} first, round ${round + 1}: A ${cpu.A!.toFixed(0)} µs, B ${cpu.B!.toFixed(0)} µs, A÷B ${(cpu.A! / cpu.B!).toFixed(3)}`,
      );
    }
    return ratios;
  } finally {
    for (const target of started) {
      await target.connection.close();
      await target.peer.stop();
    }
  }
}

const fake = await startPeer("fake provider", "./fake-provider.ts");
try {
  const aFirst = median(await pass(fake.ready.origin, "A"));
  const bFirst = median(await pass(fake.ready.origin, "B"));
  // Whichever process started first may be favoured; the geometric mean of both orders cancels it.
  console.log(
    `CPU per request, A ÷ B: ${aFirst.toFixed(3)} (A started first), ${bFirst.toFixed(3)} (B first); ` +
      `both orders: ${Math.sqrt(aFirst * bFirst).toFixed(3)}; the order's own effect: ${Math.sqrt(aFirst / bFirst).toFixed(3)}`,
  );
} finally {
  await fake.stop();
}

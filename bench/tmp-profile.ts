import { spawn } from "node:child_process";
import { connect, streamSamples, throughput } from "./http-load.ts";
import { startPeer } from "./peers/start-peer.ts";

const fake = await startPeer("fake provider", "./fake-provider.ts");
const child = spawn(
  process.execPath,
  ["--cpu-prof", "--cpu-prof-dir=/tmp/prof", "bench/peers/gateway-process.ts", fake.ready.origin],
  { stdio: ["ignore", "inherit", "inherit", "ipc"] },
);
const ready = await new Promise<any>((resolve) =>
  child.on("message", (m: any) => {
    if (m.type === "ready" || m.ready || m.origin) resolve(m);
    else resolve(m);
  }),
);
console.log(ready);
const target = ready.ready ?? ready;
const c = connect({ name: "gw", ...target }, 64);
const mode = process.argv[2] ?? "plain";
if (mode === "plain") console.log("rps", await throughput(c, 64, 500, 5000));
else {
  const s = await streamSamples(c, 2000);
  console.log("streams", s.ttfbNs.length);
}
await c.close();
child.kill("SIGTERM");
await new Promise((r) => child.on("exit", r));
await fake.stop();

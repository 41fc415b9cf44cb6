/**
 * @module bench/peers/listen-gateway-peer
 * The gateway as a child process for the listen bench: Deepgram pointed at the fake (argv[2]), one
 * transcription feature, metering on, a user enrolled with a Deepgram key; ready with the live URL and headers.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGatewayServer } from "../../src/http/index.ts";
import { computeFingerprint } from "../../src/keys/index.ts";
import { createByok } from "../../src/library/index.ts";
import { createLogger } from "../../src/telemetry/index.ts";
import { announceReady } from "./peer-protocol.ts";

const fakeOrigin = process.argv[2];
if (!fakeOrigin) throw new Error("usage: listen-gateway-peer.ts <fake deepgram origin>");
const keys = { openai: "sk-bench-openai-0123456789", deepgram: "dg-bench-key-0123456789" };
const dataDir = mkdtempSync(join(tmpdir(), "byok-listen-bench-"));
const byok = await createByok({
  config: {
    pepper: "bench-pepper-0123456789abcdef0123456789abcdef",
    dataDir,
    providers: { deepgram: { baseUrl: fakeOrigin, liveBaseUrl: fakeOrigin.replace(/^http/, "ws") } },
    features: { transcription: { routes: [{ provider: "deepgram", model: "nova-3" }] } },
    rateLimits: { requestsPerMinute: 0, concurrentStreams: 0 },
  },
  logger: createLogger({ level: "silent" }),
});
const { token } = await byok.users.addUser("bench-user", null);
await byok.enrollment.enroll("bench-user", {
  fingerprints: Object.fromEntries(
    Object.entries(keys).map(([provider, key]) => [provider, computeFingerprint(key)]),
  ),
});
const app = await createGatewayServer(byok);
const address = await app.listen({ port: 0, host: "127.0.0.1" });
announceReady(
  {
    origin: address,
    headers: {
      authorization: `Token ${token}`,
      "x-byok-openai": keys.openai,
      "x-byok-deepgram": keys.deepgram,
    },
    model: "transcription",
  },
  async () => {
    await app.close();
    await byok.close();
    rmSync(dataDir, { recursive: true, force: true });
  },
);

/**
 * @module bench/peers/deepgram-peer
 * The loopback fake Deepgram (test/peers) as a child process for the listen bench.
 */
import { startFakeDeepgram } from "../../test/peers/fake-deepgram-provider.ts";
import { announceReady } from "./peer-protocol.ts";

const fake = await startFakeDeepgram();
announceReady({ origin: fake.origin, headers: {}, model: "nova-3" }, () => fake.close());

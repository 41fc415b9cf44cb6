/**
 * @module test/security/prerecorded-transcript-echo
 * A Deepgram upstream (broken or hostile, in the threat model) that echoes the key it received inside a 200
 * prerecorded transcript: the answer loses every key in play, the operator's and the user's, as chat,
 * messages, Responses and embeddings answers do (pipeline/redact-whole-answer.ts). It was relayed as received.
 */
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { addUser, enroll } from "../support/gateway-client.ts";
import { startGateway, type TestGateway } from "../support/start-gateway.ts";
import { pcm16Sine, wav } from "../support/test-audio.ts";

const OPERATOR_DG = "OPRdeepgramCANARYk1j2H3g4F5d6S7a8ZXq31";
const USER_DG = "USRdeepgramCANARYz9x8C7v6B5n4M3q2ZXq32";
const USER_OPENAI = "sk-proj-USRopenaiCANARYq1w2E3r4T5y6ZXq33";
const AUDIO = new Uint8Array(wav(pcm16Sine({ seconds: 0.05 }), 16000));

let upstream: http.Server;
let gateway: TestGateway;

/** A Deepgram that transcribes everything as the key it was sent (a proxy reflecting `Authorization`). */
function transcriptEchoing(key: string): string {
  return JSON.stringify({
    metadata: {
      request_id: "r1",
      duration: 0.05,
      channels: 1,
      models: ["m1"],
      model_info: { m1: { name: key } },
    },
    results: {
      channels: [{ alternatives: [{ transcript: `your key is ${key}`, confidence: 1, words: [] }] }],
    },
  });
}

before(async () => {
  upstream = http.createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      const key = String(request.headers.authorization ?? "").replace(/^Token /, "");
      response.writeHead(200, { "content-type": "application/json" });
      response.end(transcriptEchoing(key));
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  gateway = await startGateway({
    config: {
      providers: {
        openai: { baseUrl: "http://127.0.0.1:9/v1" },
        deepgram: { baseUrl: origin, liveBaseUrl: origin.replace("http", "ws"), apiKey: OPERATOR_DG },
      },
      features: {
        transcription: { routes: [{ provider: "deepgram", model: "nova-3" }] },
        summary: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }] },
      },
    },
  });
});
after(async () => {
  await gateway.close();
  upstream.close();
});

async function listen(token: string, headers: Record<string, string>) {
  const response = await fetch(`${gateway.url}/v1/listen?model=transcription`, {
    method: "POST",
    headers: { authorization: `Token ${token}`, "content-type": "audio/wav", ...headers },
    body: AUDIO,
  });
  return { status: response.status, text: await response.text() };
}

test("the operator's Deepgram key echoed in a transcript never reaches the user", async () => {
  const token = await addUser(gateway, "plain-user");
  const { status, text } = await listen(token, {});
  assert.equal(status, 200);
  assert.ok(!text.includes(OPERATOR_DG), `the operator's key reached the user: ${text}`);
});

test("the user's own Deepgram key echoed in a transcript is redacted (as on every other route)", async () => {
  const token = await addUser(gateway, "byok-user");
  const enrolled = await enroll(gateway, token, { openai: USER_OPENAI, deepgram: USER_DG });
  assert.equal(enrolled.status, 200);
  const { status, text } = await listen(token, { "x-byok-openai": USER_OPENAI, "x-byok-deepgram": USER_DG });
  assert.equal(status, 200);
  assert.ok(!text.includes(USER_DG), `the key in play was relayed: ${text}`);
});

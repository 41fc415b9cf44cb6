/**
 * @module bench/validation.bench
 * The gateway's own per-request work with warm caches: header intake, token auth, fingerprint check.
 * Baseline in the same run: the bare crypto a check cannot avoid (SHA-256 + HMAC + constant-time compare).
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { computeFingerprint, parseByokHeaders } from "../src/keys/index.ts";
import { createByok } from "../src/library/index.ts";
import { createLogger } from "../src/telemetry/index.ts";
import { measure, report } from "./measure.ts";

const OPERATIONS = 20_000;
const RUNS = 7;
const PEPPER = "bench-pepper-0123456789abcdef0123456789abcdef";
const dataDir = mkdtempSync(join(tmpdir(), "byok-bench-"));
const byok = await createByok({
  config: { pepper: PEPPER, dataDir },
  logger: createLogger({ level: "silent" }),
});
const { token } = await byok.users.addUser("bench-user", null);
const keys = {
  openai: "sk-bench-openai-0123456789",
  anthropic: "sk-ant-bench-0123456789",
  gemini: "g-bench-0123456789",
};
await byok.enrollment.enroll("bench-user", {
  fingerprints: Object.fromEntries(
    Object.entries(keys).map(([provider, key]) => [provider, computeFingerprint(key)]),
  ),
});
const headers = {
  authorization: `Bearer ${token}`,
  "content-type": "application/json",
  "user-agent": "bench",
  "x-byok-openai": keys.openai,
  "x-byok-anthropic": keys.anthropic,
  "x-byok-gemini": keys.gemini,
};
const noKeyHeaders = {
  authorization: `Bearer ${token}`,
  "content-type": "application/json",
  "user-agent": "bench",
};

const stored = createHmac("sha256", PEPPER).update(computeFingerprint(keys.openai)).digest();
const baseline = await measure(
  "baseline: SHA-256 + HMAC + timingSafeEqual, x3 keys",
  OPERATIONS,
  RUNS,
  () => {
    for (const key of [keys.openai, keys.anthropic, keys.gemini]) {
      const fingerprint = createHash("sha256").update(key).digest("hex");
      timingSafeEqual(createHmac("sha256", PEPPER).update(fingerprint).digest(), stored);
    }
  },
);
const cases = [
  await measure("parseByokHeaders (3 keys)", OPERATIONS, RUNS, () => parseByokHeaders(headers)),
  await measure("byok.handle: auth + validation, no keys (no store read)", OPERATIONS, RUNS, () =>
    byok.handle(noKeyHeaders),
  ),
  await measure("byok.handle: auth + validation, 3 keys, warm caches", OPERATIONS, RUNS, () =>
    byok.handle(headers),
  ),
];
report(`Validation path (median of ${RUNS} runs x ${OPERATIONS} ops, ns/op shown as µs)`, baseline, cases);
await byok.close();
rmSync(dataDir, { recursive: true, force: true });

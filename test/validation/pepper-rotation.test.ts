import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { computeFingerprint, createPepperRing, SecretKey } from "../../src/keys/index.ts";
import { createByok } from "../../src/library/index.ts";
import { createLogger } from "../../src/telemetry/index.ts";
import { captureLogs } from "../support/start-gateway.ts";

const P1 = "pepper-one-0123456789abcdef0123456789abcdef";
const P2 = "pepper-two-0123456789abcdef0123456789abcdef";

test("pepper rotation: P1 enrollment validates under [P2, P1] and is re-stored under P2", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "byok-pepper-"));
  const logger = createLogger({ level: "silent", destination: captureLogs().destination });
  const headers = { "x-byok-openai": "sk-rotate" };
  try {
    const first = await createByok({ config: { pepper: P1, dataDir }, logger });
    const user = await first.users.addUser("rotator", null);
    await first.enrollment.enroll("rotator", { fingerprints: { openai: computeFingerprint("sk-rotate") } });
    const storedUnderP1 = (await first.store.enrollments.get("rotator"))!.fingerprints.openai!;
    assert.notEqual(
      storedUnderP1.digest,
      computeFingerprint("sk-rotate"),
      "the stored value is not the client fingerprint",
    );
    assert.equal(storedUnderP1.pepperId, createPepperRing([new SecretKey(P1)]).newestId);
    await first.close();

    const second = await createByok({ config: { pepper: [P2, P1], dataDir }, logger });
    const principal = await second.authenticate(`Bearer ${user.token}`);
    const context = await second.validate(principal, headers);
    assert.equal(context.status, "active");
    assert.deepEqual(Object.keys(context.keys), ["openai"]);
    const restored = (await second.store.enrollments.get("rotator"))!.fingerprints.openai!;
    const ringP2 = createPepperRing([new SecretKey(P2)]);
    assert.equal(restored.pepperId, ringP2.newestId);
    assert.deepEqual(restored, ringP2.seal(computeFingerprint("sk-rotate")));
    assert.equal((await second.validate(principal, headers)).status, "active");
    await assert.rejects(second.validate(principal, { "x-byok-openai": "sk-other" }), {
      type: "byok_key_mismatch",
    });
    await second.close();

    const third = await createByok({ config: { pepper: [P2], dataDir }, logger });
    assert.equal(
      (await third.validate(principal, headers)).status,
      "active",
      "P1 can be retired after re-storing",
    );
    await third.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

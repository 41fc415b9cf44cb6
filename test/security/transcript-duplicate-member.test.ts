/**
 * @module test/security/transcript-duplicate-member
 * A transcript (or a whole answer) whose JSON repeats a member name cannot hide a key in play in the copy
 * the parser drops: an answer whose text quotes a key is sent re-serialized.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { SecretKey } from "../../src/keys/secret-key.ts";
import { redactTranscript } from "../../src/pipeline/redact-whole-answer.ts";

const OPERATOR_DEEPGRAM = "dg-operator-CANARY-0123456789abcdef0123";

test("duplicate member names: the key in the first copy is not sent", () => {
  const text = `{"metadata":{"request_id":"r1","note":"${OPERATOR_DEEPGRAM}","note":"ok"},"results":{"channels":[]}}`;
  const out = redactTranscript(text, JSON.parse(text), [new SecretKey(OPERATOR_DEEPGRAM)]);
  assert.ok(!out.includes("CANARY"), out);
});

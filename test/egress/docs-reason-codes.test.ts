/**
 * @module docs/egress.md and the code agree: the reason-code table lists exactly the codes in
 * egressDenyReasons, and the policy section names every denied range and metadata address.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import {
  deniedGlobalIpv6Ranges,
  deniedIpv4Ranges,
  metadataAddresses,
  nonGlobalIpv6Ranges,
} from "../../src/egress/address-ranges.ts";
import { egressDenyReasons } from "../../src/egress/index.ts";

const docs = readFileSync(new URL("../../docs/egress.md", import.meta.url), "utf8");

function section(title: string): string {
  const start = docs.indexOf(`\n## ${title}\n`);
  assert.notEqual(start, -1, `docs/egress.md has a "## ${title}" section`);
  const end = docs.indexOf("\n## ", start + 1);
  return docs.slice(start, end === -1 ? undefined : end);
}

test("the reason-code table lists exactly the codes the code defines", () => {
  const documented = [...section("Reason codes").matchAll(/^\| `([a-z0-9_]+)` \|/gm)].map(
    (match) => match[1],
  );
  assert.deepEqual(documented, Object.keys(egressDenyReasons));
});

test("every denied range and metadata address in the code appears in the policy section", () => {
  const policy = section("Policy");
  for (const entry of [...deniedIpv4Ranges, ...nonGlobalIpv6Ranges, ...deniedGlobalIpv6Ranges]) {
    assert.ok(policy.includes(entry.name), `range name ${entry.name}`);
  }
  for (const entry of deniedIpv4Ranges) assert.ok(policy.includes(entry.range.text), entry.range.text);
  for (const entry of metadataAddresses) {
    const address = entry.range.text.replace(/\/(32|128)$/, "");
    assert.ok(policy.includes(address), address);
  }
});

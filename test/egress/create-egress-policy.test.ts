/**
 * @module createEgressPolicy and the limits: options checked once, every problem reported together,
 * the result frozen, and describe() giving the start-up log its allowances and warnings.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  createEgressPolicy,
  createGuardedDispatcher,
  createGuardedFetch,
  EgressConfigError,
  type EgressPolicyOptions,
} from "../../src/egress/index.ts";

function problemsOf(options: EgressPolicyOptions): readonly string[] {
  try {
    createEgressPolicy(options);
  } catch (error) {
    assert.ok(error instanceof EgressConfigError);
    assert.equal(error.code, "egress_config_invalid");
    return error.problems;
  }
  return assert.fail("expected EgressConfigError");
}

describe("createEgressPolicy", () => {
  test("the default policy is strict: no allowances, no http, no NAT64 unwrapping", () => {
    assert.deepEqual(createEgressPolicy().describe(), {
      production: false,
      unwrapNat64: false,
      allowHosts: [],
      allowCidrs: [],
      allowHttpHosts: [],
      resolveTimeoutMs: 5000,
      warnings: [],
    });
  });

  test("describe() lists normalized allowances and warns about wide or metadata-opening CIDRs", () => {
    const policy = createEgressPolicy({
      allowHosts: ["Models.Corp.Example.", "*.gpu.corp.example", "bücher.example"],
      allowCidrs: ["10.0.0.0/8", "0.0.0.0/0", "169.254.169.254", "fd00::/8"],
      allowHttpHosts: ["127.0.0.2", "[::1]", "local-llm.corp.example"],
      unwrapNat64: true,
    });
    const description = policy.describe();
    assert.deepEqual(description.allowHosts, [
      "models.corp.example",
      "*.gpu.corp.example",
      "xn--bcher-kva.example",
    ]);
    assert.deepEqual(description.allowCidrs, ["10.0.0.0/8", "0.0.0.0/0", "169.254.169.254/32", "fd00::/8"]);
    assert.deepEqual(description.allowHttpHosts, ["127.0.0.2", "[::1]", "local-llm.corp.example"]);
    assert.equal(description.warnings.length, 3);
    assert.match(description.warnings[0] ?? "", /0\.0\.0\.0\/0 is very wide/);
    assert.match(description.warnings[1] ?? "", /169\.254\.169\.254\/32 opens instance_metadata/);
    assert.match(description.warnings[2] ?? "", /fd00::\/8 is very wide/);
    assert.ok(
      Object.isFrozen(policy) && Object.isFrozen(description) && Object.isFrozen(description.allowCidrs),
    );
  });

  test("every problem is reported at once", () => {
    const problems = problemsOf({
      allowCidrs: ["10.0.0.1/8", "300.0.0.0/8", "10.0.0.0/33", "fd00::1/8", "example.com", ""],
      allowHosts: ["127.0.0.1", "a..b", "https://x.example/", "*", "user@x.example", "x.example:80"],
      allowHttpHosts: ["*.corp.example"],
      production: true,
      resolveTimeoutMs: 0,
      rejectionCacheSize: -1,
      unwrapNat64: "yes" as unknown as boolean,
      resolver: "8.8.8.8" as unknown as EgressPolicyOptions["resolver"],
    });
    const text = problems.join("\n");
    for (const fragment of [
      '"10.0.0.1/8" has host bits set',
      '"300.0.0.0/8" is not an IP address',
      '"10.0.0.0/33" has an invalid prefix',
      '"fd00::1/8" has host bits set',
      '"example.com" is not an IP address',
      "use allowCidrs for addresses",
      '"a..b" is not a valid host name',
      '"https://x.example/" is not a bare host name',
      '"user@x.example" is not a bare host name',
      '"x.example:80" is not a bare host name',
      '"*.corp.example" is not a bare host name',
      "production mode refuses plain http",
      "resolveTimeoutMs must be an integer >= 1",
      "rejectionCacheSize must be an integer >= 0",
      "unwrapNat64 must be a boolean",
      "resolver must be a function",
    ]) {
      assert.ok(text.includes(fragment), `missing: ${fragment}\n${text}`);
    }
  });

  test("non-array lists are problems, not crashes", () => {
    const problems = problemsOf({ allowCidrs: "10.0.0.0/8" as unknown as string[] });
    assert.deepEqual(problems, ["allowCidrs must be an array"]);
  });

  test("limits are checked when the dispatcher or fetch is built", () => {
    const policy = createEgressPolicy();
    assert.throws(() => createGuardedDispatcher(policy, { connectTimeoutMs: 0, maxResponseBytes: 1.5 }), {
      name: "EgressConfigError",
      problems: [
        "connectTimeoutMs must be a positive integer",
        "maxResponseBytes must be a positive integer",
      ],
    });
    assert.throws(() => createGuardedFetch(policy, { totalTimeoutMs: -1 }), { name: "EgressConfigError" });
  });
});

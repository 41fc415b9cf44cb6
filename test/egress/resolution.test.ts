/**
 * @module Resolution through an injected resolver: mixed answer sets, resolver failures and time
 * limits, the operator's host allowances, and the bounded cache that holds rejections only.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  createEgressPolicy,
  type EgressDenyReason,
  type EgressEventDetails,
  type EgressResolver,
  validateBaseUrl,
} from "../../src/egress/index.ts";
import { resolverError, scriptedResolver } from "./support/scripted-resolver.ts";

const host = "api.public.example";
const url = `https://${host}/v1`;

async function reasonFor(answers: readonly string[] | Error): Promise<string> {
  const resolver = scriptedResolver({ [host]: [answers] });
  const verdict = await validateBaseUrl(url, { resolver: resolver.resolve });
  assert.equal(resolver.calls(host), 1);
  return verdict.ok ? `ok:${verdict.addresses.map((entry) => entry.address).join(",")}` : verdict.reason;
}

describe("every answer must pass", () => {
  const cases: [readonly string[], string][] = [
    [["93.184.216.34"], "ok:93.184.216.34"],
    [
      ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
      "ok:93.184.216.34,2606:2800:220:1:248:1893:25c8:1946",
    ],
    [["93.184.216.34", "93.184.216.34"], "ok:93.184.216.34"],
    [["93.184.216.34", "10.0.0.1"], "address_denied"],
    [["10.0.0.1", "93.184.216.34"], "address_denied"],
    [["93.184.216.34", "127.0.0.1"], "address_denied"],
    [["93.184.216.34", "::1"], "address_denied"],
    [["93.184.216.34", "::ffff:127.0.0.1"], "address_denied"],
    [["2606:2800:220:1::1", "fd00::1"], "address_denied"],
    [["93.184.216.34", "169.254.169.254"], "metadata_address_denied"],
    [["93.184.216.34", "168.63.129.16"], "metadata_address_denied"],
    [["93.184.216.34", "fe80::1%eth0"], "address_denied"],
    [["93.184.216.34", "not-an-address"], "address_invalid"],
    [[], "resolve_empty"],
  ];
  for (const [answers, expected] of cases) {
    test(`[${answers.join(", ")}] → ${expected}`, async () =>
      assert.equal(await reasonFor(answers), expected));
  }
});

describe("resolver failures deny", () => {
  for (const code of ["ENOTFOUND", "EAI_AGAIN", "ESERVFAIL", "ECONNREFUSED"]) {
    test(code, async () => assert.equal(await reasonFor(resolverError(code)), "resolve_failed"));
  }
  test("malformed resolver answers", async () => {
    for (const answer of [
      null,
      undefined,
      "93.184.216.34",
      { address: "93.184.216.34" },
      [null],
      [{}],
      [{ address: 42 }],
    ]) {
      const resolve = (async () => answer) as unknown as EgressResolver;
      const verdict = await validateBaseUrl(url, { resolver: resolve });
      assert.equal(verdict.ok, false, JSON.stringify(answer));
    }
  });
  test("a resolver that throws synchronously or rejects with a non-error", async () => {
    const throwing: EgressResolver = () => {
      throw new Error("boom");
    };
    const rejecting: EgressResolver = () => Promise.reject("boom");
    for (const resolver of [throwing, rejecting]) {
      const verdict = await validateBaseUrl(url, { resolver });
      assert.equal(verdict.ok ? "ok" : verdict.reason, "resolve_failed");
    }
  });
  test("a resolver that never answers hits the resolution time limit", async () => {
    let calls = 0;
    const hanging: EgressResolver = () => {
      calls++;
      return new Promise(() => {});
    };
    const policy = createEgressPolicy({ resolver: hanging, resolveTimeoutMs: 25 });
    const first = await validateBaseUrl(url, policy);
    const second = await validateBaseUrl(url, policy);
    assert.equal(first.ok ? "ok" : first.reason, "resolve_timeout");
    assert.equal(second.ok ? "ok" : second.reason, "resolve_timeout");
    assert.equal(calls, 2, "time-outs are not cached");
    assert.doesNotMatch(
      first.ok ? "" : first.message,
      /time ?out/i,
      "SDKs must not mistake a denial for their own time-out",
    );
  });
});

describe("operator host allowances", () => {
  test("an allowed host may resolve to private addresses, never to metadata", async () => {
    const resolver = scriptedResolver({
      "models.corp.example": [["10.1.2.3", "fd12::3"]],
      "models.corp.example.": [["10.1.2.3"]],
      "gpu.models.corp.example": [["10.1.2.4"]],
      "corp.example": [["10.1.2.5"]],
      "evil.corp.example": [["10.1.2.6", "169.254.169.254"]],
    });
    const policy = createEgressPolicy({
      resolver: resolver.resolve,
      allowHosts: ["models.corp.example", "*.models.corp.example", "evil.corp.example"],
    });
    const reason = async (name: string) => {
      const verdict = await validateBaseUrl(`https://${name}/`, policy);
      return verdict.ok ? "ok" : verdict.reason;
    };
    assert.equal(await reason("models.corp.example"), "ok");
    assert.equal(await reason("models.corp.example."), "ok");
    assert.equal(await reason("gpu.models.corp.example"), "ok");
    assert.equal(await reason("corp.example"), "address_denied");
    assert.equal(await reason("evil.corp.example"), "metadata_address_denied");
  });
  test("allowHosts may name a host the name rules would deny", async () => {
    const resolver = scriptedResolver({ "llm.internal": [["10.9.9.9"]] });
    const strict = await validateBaseUrl("https://llm.internal/", { resolver: resolver.resolve });
    assert.equal(strict.ok ? "ok" : strict.reason, "host_denied");
    assert.equal(resolver.calls(), 0, "name rules deny before resolving");
    const allowed = await validateBaseUrl("https://llm.internal/", {
      resolver: resolver.resolve,
      allowHosts: ["llm.internal"],
    });
    assert.equal(allowed.ok, true);
  });
  test("a CIDR allowance opens exactly its range", async () => {
    const resolver = scriptedResolver({ [host]: [["10.20.0.7", "93.184.216.34"]] });
    const inside = await validateBaseUrl(url, { resolver: resolver.resolve, allowCidrs: ["10.20.0.0/16"] });
    assert.equal(inside.ok, true);
    const outside = await validateBaseUrl(url, { resolver: resolver.resolve, allowCidrs: ["10.21.0.0/16"] });
    assert.equal(outside.ok ? "ok" : outside.reason, "address_denied");
  });
});

describe("the rejection cache", () => {
  test("rejections are cached per host; positive verdicts never are", async () => {
    const resolver = scriptedResolver({
      [host]: [["10.0.0.1"], ["93.184.216.34"]],
      "good.public.example": [["93.184.216.34"]],
    });
    const denied: [EgressDenyReason, EgressEventDetails][] = [];
    const policy = createEgressPolicy({
      resolver: resolver.resolve,
      observer: { onDenied: (reason, details) => denied.push([reason, details]) },
    });
    assert.equal((await validateBaseUrl(url, policy)).ok, false);
    assert.equal((await validateBaseUrl(url, policy)).ok, false, "still denied from the cache");
    assert.equal(resolver.calls(host), 1);
    assert.deepEqual(
      denied.map(([reason, details]) => [reason, details.cached, details.address ?? null]),
      [
        ["address_denied", false, "10.0.0.1"],
        ["address_denied", true, null],
      ],
    );
    await validateBaseUrl("https://good.public.example/", policy);
    await validateBaseUrl("https://good.public.example/", policy);
    assert.equal(resolver.calls("good.public.example"), 2, "a positive verdict is resolved again every time");
  });
  test("NXDOMAIN is cached, temporary failures are not, and a size of 0 disables caching", async () => {
    const resolver = scriptedResolver({
      "gone.public.example": [resolverError("ENOTFOUND")],
      "flaky.public.example": [resolverError("EAI_AGAIN")],
    });
    const policy = createEgressPolicy({ resolver: resolver.resolve });
    for (let index = 0; index < 3; index++) {
      await validateBaseUrl("https://gone.public.example/", policy);
      await validateBaseUrl("https://flaky.public.example/", policy);
    }
    assert.equal(resolver.calls("gone.public.example"), 1);
    assert.equal(resolver.calls("flaky.public.example"), 3);
    const uncached = createEgressPolicy({ resolver: resolver.resolve, rejectionCacheSize: 0 });
    await validateBaseUrl("https://gone.public.example/", uncached);
    await validateBaseUrl("https://gone.public.example/", uncached);
    assert.equal(resolver.calls("gone.public.example"), 3);
  });
  test("the cache is bounded", async () => {
    const resolve: EgressResolver = async () => [{ address: "10.0.0.1", family: 4 }];
    const policy = createEgressPolicy({ resolver: resolve, rejectionCacheSize: 5 });
    for (let index = 0; index < 50; index++)
      await validateBaseUrl(`https://h${index}.public.example/`, policy);
    assert.equal(policy.rejections?.size, 5);
  });
});

describe("the observer", () => {
  test("hears each denial with the host, never the URL, and cannot break a verdict by throwing", async () => {
    const seen: [EgressDenyReason, EgressEventDetails][] = [];
    const resolver = scriptedResolver({ [host]: [["127.0.0.1"]] });
    const verdict = await validateBaseUrl(`${url}/secret-path`, {
      resolver: resolver.resolve,
      observer: { onDenied: (reason, details) => seen.push([reason, details]) },
    });
    assert.equal(verdict.ok, false);
    assert.deepEqual(seen, [
      ["address_denied", { stage: "validate", host, rule: "loopback", cached: false, address: "127.0.0.1" }],
    ]);
    const throwing = await validateBaseUrl("https://localhost/", {
      observer: {
        onDenied: () => {
          throw new Error("observer failure");
        },
      },
    });
    assert.equal(throwing.ok ? "ok" : throwing.reason, "host_denied");
  });
});

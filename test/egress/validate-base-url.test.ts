/**
 * @module validateBaseUrl over URL forms: numeric IPv4 spellings, bracketed IPv6 classes, zone ids,
 * userinfo, backslashes, Unicode dots, percent-encoding, trailing dots, punycode, lengths, ports and
 * schemes. Every case goes through an injected resolver; nothing leaves the process.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type EgressPolicyOptions, type UrlVerdict, validateBaseUrl } from "../../src/egress/index.ts";
import { scriptedResolver } from "./support/scripted-resolver.ts";

const publicAddress = "93.184.216.34";
const resolver = scriptedResolver({
  "api.public.example": [[publicAddress]],
  "api.public.example.": [[publicAddress]],
  "xn--bcher-kva.example": [[publicAddress]],
  [`${"a".repeat(63)}.example`]: [[publicAddress]],
});

async function verdictOf(input: string, options: EgressPolicyOptions = {}): Promise<UrlVerdict> {
  return validateBaseUrl(input, { resolver: resolver.resolve, ...options });
}

async function expectReason(input: string, reason: string, options: EgressPolicyOptions = {}): Promise<void> {
  const verdict = await verdictOf(input, options);
  assert.equal(verdict.ok ? "ok" : verdict.reason, reason, input);
  if (!verdict.ok) assert.ok(verdict.message.length > 0);
}

async function expectAllowed(
  input: string,
  href: string,
  addresses: readonly string[],
  options: EgressPolicyOptions = {},
) {
  const verdict = await verdictOf(input, options);
  assert.ok(verdict.ok, `${input} should be allowed, got ${verdict.ok ? "" : verdict.reason}`);
  assert.equal(verdict.url.href, href, input);
  assert.deepEqual(
    verdict.addresses.map((entry) => entry.address),
    addresses,
    input,
  );
}

describe("validateBaseUrl: IPv4 spellings normalize before the address check", () => {
  const denied = [
    "https://2130706433/",
    "https://0177.0.0.1/",
    "https://0177.0000.0000.0001/",
    "https://0x7f.0.0.1/",
    "https://0x7f000001/",
    "https://0x7f.1/",
    "https://127.1/",
    "https://127.0.1/",
    "https://10.1/",
    "https://0/",
    "https://0x/",
    "https://%31%32%37.0.0.1/",
    "https://127.0.0.1./",
    "https://127。0。0。1/",
    "https://127．0．0．1/",
    "https://127｡0｡0｡1/",
    "https://0251.0376.0251.0376/",
    "https://2852039166/",
  ];
  for (const input of denied) {
    test(input, async () => {
      const verdict = await verdictOf(input);
      assert.equal(verdict.ok, false, input);
      assert.ok(!verdict.ok && ["address_denied", "metadata_address_denied"].includes(verdict.reason));
    });
  }
  test("public addresses in the same spellings are allowed, normalized", async () => {
    await expectAllowed("https://134744072/", "https://8.8.8.8/", ["8.8.8.8"]);
    await expectAllowed("https://010.010.010.010/", "https://8.8.8.8/", ["8.8.8.8"]);
    await expectAllowed("https://0x08080808/", "https://8.8.8.8/", ["8.8.8.8"]);
    await expectAllowed("https://8.1/v1", "https://8.0.0.1/v1", ["8.0.0.1"]);
    assert.equal(resolver.calls(), 0, "literals are never resolved");
  });
  test("forms WHATWG rejects are url_invalid, not exceptions", async () => {
    await expectReason("https://1.2.3.4.5/", "url_invalid");
    await expectReason("https://0x100000000/", "url_invalid");
    await expectReason("https://256.0.0.1/", "url_invalid");
    await expectReason("https://example.123/", "url_invalid");
  });
});

describe("validateBaseUrl: bracketed IPv6", () => {
  const cases: [string, string][] = [
    ["https://[::1]/", "address_denied"],
    ["https://[::]/", "address_denied"],
    ["https://[::ffff:127.0.0.1]/", "address_denied"],
    ["https://[::ffff:7f00:1]/", "address_denied"],
    ["https://[0:0:0:0:0:ffff:169.254.169.254]/", "metadata_address_denied"],
    ["https://[::127.0.0.1]/", "address_denied"],
    ["https://[::8.8.8.8]/", "address_denied"],
    ["https://[64:ff9b::127.0.0.1]/", "address_denied"],
    ["https://[64:ff9b::8.8.8.8]/", "address_denied"],
    ["https://[2002:7f00:1::1]/", "address_denied"],
    ["https://[2002:a9fe:a9fe::]/", "address_denied"],
    ["https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "address_denied"],
    ["https://[2001:db8::1]/", "address_denied"],
    ["https://[fd00::1]/", "address_denied"],
    ["https://[fd00:ec2::254]/", "metadata_address_denied"],
    ["https://[fe80::1]/", "address_denied"],
    ["https://[fec0::1]/", "address_denied"],
    ["https://[ff02::1]/", "address_denied"],
    ["https://[fe80::1%25eth0]/", "url_invalid"],
    ["https://[fe80::1%eth0]/", "url_invalid"],
    ["https://[::ffff:127.0.0.1%25lo]/", "url_invalid"],
    ["https://[::1/", "url_invalid"],
    ["https://[1:2:3:4:5:6:7:8:9]/", "url_invalid"],
  ];
  for (const [input, reason] of cases) test(input, () => expectReason(input, reason));
  test("public IPv6 and IPv4-mapped public addresses are allowed", async () => {
    await expectAllowed("https://[2606:4700:4700::1111]/", "https://[2606:4700:4700::1111]/", [
      "2606:4700:4700::1111",
    ]);
    await expectAllowed("https://[::ffff:8.8.8.8]/", "https://[::ffff:808:808]/", ["::ffff:808:808"]);
  });
  test("NAT64 literals are judged as IPv4 only with unwrapNat64", async () => {
    await expectAllowed("https://[64:ff9b::8.8.8.8]/", "https://[64:ff9b::808:808]/", ["64:ff9b::808:808"], {
      unwrapNat64: true,
    });
    await expectReason("https://[64:ff9b::10.0.0.1]/", "address_denied", { unwrapNat64: true });
  });
});

describe("validateBaseUrl: authority tricks", () => {
  const cases: [string, string][] = [
    ["https://user:pass@api.public.example/", "userinfo_not_allowed"],
    ["https://user@api.public.example/", "userinfo_not_allowed"],
    ["https://:pass@api.public.example/", "userinfo_not_allowed"],
    ["https://api.public.example%2F@127.0.0.1/", "userinfo_not_allowed"],
    ["https://api.public.example@127.0.0.1/", "userinfo_not_allowed"],
    ["https:\\\\127.0.0.1\\v1", "address_denied"],
    ["https:/\\localhost/", "host_denied"],
    ["https://ｌｏｃａｌｈｏｓｔ/", "host_denied"],
    ["https://%6c%6f%63%61%6c%68%6f%73%74/", "host_denied"],
    ["https://LOCALHOST/", "host_denied"],
    ["https://localhost./", "host_denied"],
    ["https://localhost%2E/", "host_denied"],
    ["https://localhost。/", "host_denied"],
    ["https://a.b.localhost/", "host_denied"],
    ["https://a.b.localhost./", "host_denied"],
    ["https://localhost.localdomain/", "host_denied"],
    ["https://ip6-localhost/", "host_denied"],
    ["https://ip6-loopback/", "host_denied"],
    ["https://metadata/", "host_denied"],
    ["https://metadata./", "host_denied"],
    ["https://metadata.google.internal/", "host_denied"],
    ["https://metadata.google.internal./", "host_denied"],
    ["https://METADATA.GOOGLE.INTERNAL/", "host_denied"],
    ["https://metadata.goog/", "host_denied"],
    ["https://instance-data/", "host_denied"],
    ["https://instance-data.ec2.internal/", "host_denied"],
    ["https://printer.local/", "host_denied"],
    ["https://router.home.arpa/", "host_denied"],
    ["https://intranet/", "host_denied"],
    ["https://a..example/", "host_invalid"],
    ["https://.example/", "host_invalid"],
    ["https://\u00ad.example/", "host_invalid"],
    ["https://api.public.example../", "host_invalid"],
    ["https://a_b.example/", "host_invalid"],
    ["https://-a.example/", "host_invalid"],
    ["https://a-.example/", "host_invalid"],
    ["https://xn--zz.example/", "host_invalid"],
    ["https://xn--a.example/", "host_invalid"],
    ["https://xn--.example/", "host_invalid"],
    ["https://xn--ab-.example/", "host_invalid"],
    ["https://xn--abc-.example/", "host_invalid"],
    ["https://a\u200db.example/", "url_invalid"],
    ["https://a%00b.example/", "url_invalid"],
    ["https://%zz.example/", "url_invalid"],
    ["https://exa mple.example/", "url_invalid"],
    ["https://exa<mple.example/", "url_invalid"],
    ["https://\u2024.example/", "url_invalid"],
  ];
  for (const [input, reason] of cases) test(JSON.stringify(input), () => expectReason(input, reason));

  test("a backslash before @ ends the authority: the host is the public name, never 127.0.0.1", async () => {
    await expectAllowed("https://api.public.example\\@127.0.0.1/", "https://api.public.example/@127.0.0.1/", [
      publicAddress,
    ]);
  });
  test("Unicode dots, fullwidth letters and IDN names normalize to the ASCII name", async () => {
    await expectAllowed("https://api．public．example/", "https://api.public.example/", [publicAddress]);
    await expectAllowed("https://ａｐｉ.public.example/", "https://api.public.example/", [publicAddress]);
    await expectAllowed("https://bücher.example/", "https://xn--bcher-kva.example/", [publicAddress]);
    await expectAllowed("https://xn--bcher-kva.example/", "https://xn--bcher-kva.example/", [publicAddress]);
    await expectAllowed("https://api.public.example./v1", "https://api.public.example./v1", [publicAddress]);
  });
});

describe("validateBaseUrl: lengths, ports, schemes, query and fragment", () => {
  test("labels up to 63 and names up to 253 characters", async () => {
    await expectAllowed(`https://${"a".repeat(63)}.example/`, `https://${"a".repeat(63)}.example/`, [
      publicAddress,
    ]);
    await expectReason(`https://${"a".repeat(64)}.example/`, "host_invalid");
    const name250 = `${"a".repeat(61)}.${"b".repeat(61)}.${"c".repeat(61)}.${"d".repeat(61)}.ex`;
    assert.equal(name250.length, 250);
    await expectReason(`https://${name250}xxx/`, "resolve_failed"); // 253: valid, so it is resolved
    await expectReason(`https://${name250}xxx./`, "resolve_failed"); // the root dot does not count
    await expectReason(`https://${name250}xxxx/`, "host_invalid"); // 254
    await expectReason(`https://api.public.example/${"a".repeat(3000)}`, "url_too_long");
    await expectReason("https://api.public.example/abc", "url_too_long", { maxUrlLength: 20 });
  });
  test("ports", async () => {
    await expectReason("https://api.public.example:0/", "port_not_allowed");
    await expectReason("https://api.public.example:00/", "port_not_allowed");
    await expectReason("https://api.public.example:65536/", "url_invalid");
    await expectReason("https://api.public.example:99999/", "url_invalid");
    await expectReason("https://api.public.example:-1/", "url_invalid");
    await expectReason("https://api.public.example:0x50/", "url_invalid");
    await expectAllowed("https://api.public.example:443/v1", "https://api.public.example/v1", [
      publicAddress,
    ]);
    await expectAllowed("https://api.public.example:8443/", "https://api.public.example:8443/", [
      publicAddress,
    ]);
    await expectAllowed("https://api.public.example:65535/", "https://api.public.example:65535/", [
      publicAddress,
    ]);
  });
  test("schemes: https only; plain http only for listed hosts outside production", async () => {
    for (const input of [
      "ftp://api.public.example/",
      "file:///etc/passwd",
      "ws://api.public.example/",
      "wss://api.public.example/",
      "gopher://api.public.example/",
      "data:text/plain,hi",
      "javascript:alert(1)",
      "blob:https://api.public.example/x",
    ]) {
      await expectReason(input, "scheme_not_allowed");
    }
    await expectReason("http://api.public.example/", "http_not_allowed");
    await expectAllowed("http://api.public.example/v1", "http://api.public.example/v1", [publicAddress], {
      allowHttpHosts: ["api.public.example"],
    });
    await expectAllowed("http://api.public.example./v1", "http://api.public.example./v1", [publicAddress], {
      allowHttpHosts: ["api.public.example"],
    });
    await expectReason("http://other.public.example/", "http_not_allowed", {
      allowHttpHosts: ["api.public.example"],
    });
    await expectReason("http://api.public.example/", "http_not_allowed", { production: true });
    await expectAllowed("HTTPS://API.Public.Example:443/v1/../v2/", "https://api.public.example/v2/", [
      publicAddress,
    ]);
  });
  test("a base URL has no query and no fragment, not even empty ones", async () => {
    await expectReason("https://api.public.example/v1?api-version=1", "query_not_allowed");
    await expectReason("https://api.public.example/v1?", "query_not_allowed");
    await expectReason("https://api.public.example/v1#x", "fragment_not_allowed");
    await expectReason("https://api.public.example/v1#", "fragment_not_allowed");
    await expectAllowed("https://api.public.example/v1%3F%23", "https://api.public.example/v1%3F%23", [
      publicAddress,
    ]);
  });
});

describe("validateBaseUrl never throws", () => {
  test("non-string input and invalid options are clean denials", async () => {
    for (const input of [undefined, null, 42, {}, [], new URL("https://api.public.example/")]) {
      const verdict = await validateBaseUrl(input as unknown as string, { resolver: resolver.resolve });
      assert.equal(verdict.ok ? "ok" : verdict.reason, "url_invalid");
    }
    const bad = await validateBaseUrl("https://api.public.example/", { allowCidrs: ["10.0.0.1/8"] });
    assert.deepEqual(bad, {
      ok: false,
      reason: "policy_invalid",
      message: "The egress policy options are invalid.",
    });
  });
  test("thousands of generated hostile inputs all answer a verdict", async () => {
    const pieces = [
      "https://",
      "http://",
      "[",
      "]",
      "::",
      "%",
      "%25",
      "@",
      "\\",
      "/",
      ":",
      ".",
      "。",
      "．",
      "0x",
      "0",
      "7f",
      "127",
      "xn--",
      "-",
      "localhost",
      "a",
      "ß",
      "\u0000",
      "\u200d",
      "#",
      "?",
      "65536",
      "ffff",
      "169.254.169.254",
      " ",
    ];
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    const denyResolver = async () => [{ address: "10.0.0.1", family: 4 }];
    for (let index = 0; index < 3000; index++) {
      let input = "";
      const length = 1 + (next() % 12);
      for (let part = 0; part < length; part++) input += pieces[next() % pieces.length];
      const verdict = await validateBaseUrl(input, { resolver: denyResolver });
      assert.equal(typeof verdict.ok, "boolean");
      if (verdict.ok) assert.ok(verdict.addresses.length > 0 && verdict.url instanceof URL, input);
    }
  });
});

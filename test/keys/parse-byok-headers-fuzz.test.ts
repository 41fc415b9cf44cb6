/**
 * @module test/keys/parse-byok-headers-fuzz
 * Header intake (keys/parse-byok-headers.ts) against a plain reference model of docs/api.md's rules, over
 * seeded, time-bounded random header bags: names in any case (and a few look-alikes), values well-formed,
 * malformed, blank, repeated or absent, given as a plain object (inherited names ignored) and as `Headers`.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  KEY_HEADER_BY_PROVIDER,
  PROVIDER_IDS,
  type ProviderId,
  parseByokHeaders,
} from "../../src/keys/index.ts";

type Value = string | readonly string[] | undefined;

/** What intake must find: one name at a time, in the bag's order, the last value for a name winning. */
function reference(entries: ReadonlyArray<readonly [string, Value]>) {
  const keys: Partial<Record<ProviderId, string>> = {};
  const malformed: ProviderId[] = [];
  let customBaseUrl: string | null = null;
  let customModel: string | null = null;
  const malformedSettings: string[] = [];
  let any = false;
  for (const [rawName, rawValue] of entries) {
    if (rawValue === undefined) continue;
    const name = rawName.toLowerCase();
    const single = typeof rawValue === "string" ? rawValue : rawValue.length === 1 ? rawValue[0] : undefined;
    if (name === "x-byok-custom-base-url" || name === "x-byok-custom-model") {
      const value = single?.trim();
      if (value === "") continue;
      if (value === undefined || value.length > 2048 || value.includes(", ")) {
        // Sent but unusable: reported, never silently dropped (so nothing falls back to the enrolled value).
        if (!malformedSettings.includes(name)) malformedSettings.push(name);
        continue;
      }
      if (name === "x-byok-custom-base-url") customBaseUrl = value;
      else customModel = value;
      continue;
    }
    const provider = PROVIDER_IDS.find((id) => KEY_HEADER_BY_PROVIDER[id] === name);
    if (provider === undefined) continue;
    const value = single?.trim();
    if (value === "") continue;
    any = true;
    if (value === undefined || value.length > 4096 || !/^[\x21-\x7e]+$/.test(value)) malformed.push(provider);
    else keys[provider] = value;
  }
  if (malformedSettings.includes("x-byok-custom-base-url")) customBaseUrl = null;
  if (malformedSettings.includes("x-byok-custom-model")) customModel = null;
  return { keys, malformed, customBaseUrl, customModel, malformedSettings, any };
}

function observed(headers: Parameters<typeof parseByokHeaders>[0]) {
  const presented = parseByokHeaders(headers);
  const keys: Partial<Record<ProviderId, string>> = {};
  for (const [provider, key] of Object.entries(presented.keys)) keys[provider as ProviderId] = key.reveal();
  return {
    keys,
    malformed: [...presented.malformed],
    customBaseUrl: presented.customBaseUrl,
    customModel: presented.customModel,
    malformedSettings: [...presented.malformedSettings],
    any: presented.any,
  };
}

test("seeded random header bags: intake finds what the reference model finds", () => {
  let seed = 0x18d;
  const next = (below: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % below;
  };
  const pick = <T>(items: readonly T[]): T => items[next(items.length)]!;
  const names = [
    ...PROVIDER_IDS.map((id) => KEY_HEADER_BY_PROVIDER[id]),
    "x-byok-custom-base-url",
    "x-byok-custom-model",
    "x-byok-unknown",
    "x-byok-",
    "x-byo\u212a-openai", // a Kelvin sign lowercases to k
    "authorization",
    "content-type",
    "x-request-id",
    "host",
    "xx",
  ];
  const recase = (name: string) =>
    [...name].map((char) => (next(3) === 0 ? char.toUpperCase() : char)).join("");
  const values: readonly Value[] = [
    "sk-good-0123456789",
    "  sk-padded  ",
    "",
    "   ",
    "has space",
    "tab\tinside",
    "é-non-ascii",
    "x".repeat(4097),
    "https://models.example.com/v1",
    "https://a.example/v1, https://b.example/v1", // a header sent twice, as Node's server joins it
    ["one"],
    ["one", "two"],
    [],
    undefined,
  ];
  const deadline = Date.now() + 1500;
  let bags = 0;
  while (Date.now() < deadline && bags < 5000) {
    const entries: Array<readonly [string, Value]> = [];
    const count = next(8);
    for (let index = 0; index < count; index++) entries.push([recase(pick(names)), pick(values)]);
    // A plain object keeps one value per exact name (the last); its inherited names are never read.
    const plain: Record<string, Value> = Object.create({ "x-byok-openai": "sk-inherited" });
    for (const [name, value] of entries) plain[name] = value;
    assert.deepEqual(observed(plain), reference(Object.entries(plain)), JSON.stringify(plain));
    // `Headers` joins repeated names and holds strings only: the model reads what it holds.
    const fetchHeaders = new Headers();
    for (const [name, value] of entries) {
      if (typeof value === "string" && /^[\x21-\x7e]*$/.test(name) && !/[\t\0\r\n]/.test(value))
        fetchHeaders.append(name, value);
    }
    const held: Array<readonly [string, string]> = [];
    fetchHeaders.forEach((value, name) => {
      held.push([name, value]);
    });
    assert.deepEqual(observed(fetchHeaders), reference(held));
    bags++;
  }
  assert.ok(bags > 100, `only ${bags} bags ran`);
});

/**
 * @module test/client/headers
 * The kit's `headers(keys)` read back by the server's own header intake (seeded), and the memory key store.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { headers, KEY_HEADERS } from "../../client/src/headers.ts";
import { createMemoryKeyStore } from "../../client/src/key-store.ts";
import { PROVIDER_IDS, type UserKeys } from "../../client/src/user-keys.ts";
import { parseByokHeaders } from "../../src/keys/index.ts";
import { KEY_HEADER_BY_PROVIDER } from "../../src/keys/provider-ids.ts";

const SEED = 1313;

test("the kit names the same header per provider as the server, in SPEC §2's spelling", () => {
  for (const provider of PROVIDER_IDS) {
    assert.equal(KEY_HEADERS[provider].toLowerCase(), KEY_HEADER_BY_PROVIDER[provider]);
  }
  assert.deepEqual(headers({ openai: "sk-a", customBaseUrl: "https://m.example/v1", customModel: "m" }), {
    "X-BYOK-OpenAI": "sk-a",
    "X-BYOK-Custom-Base-Url": "https://m.example/v1",
    "X-BYOK-Custom-Model": "m",
  });
});

test("the server's intake reads back exactly the keys and settings the kit sent (seeded)", () => {
  const key = fc.stringMatching(/^[\x21-\x7e]{1,64}$/);
  const padded = fc.tuple(fc.constantFrom("", " ", "\t", "  "), key, fc.constantFrom("", " ", "\n"));
  const field = fc.option(
    fc.oneof(
      padded.map(([before, value, after]) => before + value + after),
      fc.constant("  "),
    ),
    {
      nil: undefined,
    },
  );
  const keys = fc.record(
    {
      openai: field,
      anthropic: field,
      gemini: field,
      openrouter: field,
      deepgram: field,
      custom: field,
      customBaseUrl: fc.option(fc.webUrl(), { nil: undefined }),
      customModel: field,
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(keys, (user: UserKeys) => {
      const presented = parseByokHeaders(headers(user));
      for (const provider of PROVIDER_IDS) {
        const sent = user[provider]?.trim() || undefined;
        assert.equal(presented.keys[provider]?.reveal(), sent, provider);
      }
      assert.deepEqual(presented.malformed, []);
      assert.equal(presented.customBaseUrl, user.customBaseUrl?.trim() || null);
      assert.equal(presented.customModel, user.customModel?.trim() || null);
    }),
    { seed: SEED, numRuns: 500 },
  );
});

test("the memory store keeps a copy of the present keys, and clear() empties it", async () => {
  const store = createMemoryKeyStore({ openai: " sk-mem ", gemini: "" });
  assert.deepEqual(await store.load(), { openai: "sk-mem" });
  const loaded = await store.load();
  loaded.openai = "changed";
  assert.deepEqual(await store.load(), { openai: "sk-mem" }, "load() answers a copy");
  await store.save({ anthropic: "sk-ant", customBaseUrl: "https://m.example/v1", unknown: "x" } as UserKeys);
  assert.deepEqual(await store.load(), { anthropic: "sk-ant", customBaseUrl: "https://m.example/v1" });
  await store.clear();
  assert.deepEqual(await store.load(), {});
});

/** @module test/gateway/intake-fuzz
 * Issue 12: random JSON bodies (deep, large, every type, unicode and lone surrogates, huge numbers,
 * duplicate keys, `__proto__`/`constructor` keys, invalid UTF-8) sent over real HTTP to chat, embeddings,
 * messages and enrollment always answer 2xx or 4xx in the documented envelope, never 5xx, and the gateway
 * keeps serving. Seeded, a fixed number of runs (fast-check prints the seed and the body on a failure). */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { ANTHROPIC_ERROR_TYPES, errorCatalog } from "../../src/errors/index.ts";
import {
  ANTHROPIC_FEATURES,
  type AnthropicGateway,
  type AnthropicGatewayUser,
  startAnthropicGateway,
} from "../support/anthropic-gateway.ts";

const SEED = 1_212_012;
/** A fixed number of bodies per route, all of them tried (no time limit: a slow machine runs slower, not fewer). */
const RUNS_PER_ROUTE = 50;

const KEYS = [
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "model",
  "messages",
  "input",
  "stream",
  "max_tokens",
  "tools",
  "tool_choice",
  "content",
  "role",
  "fingerprints",
  "custom",
  "stream_options",
  "system",
  "type",
];

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const text = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.string({ unit: loneSurrogate, maxLength: 4 }),
  fc.constantFrom("", "[{", "\\", "\u0000", "\u2028", "sk-proj-abc", "gpt", "claude", "summary"),
);
const numberText = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => JSON.stringify(value)),
  fc.constantFrom(
    "1e400",
    "-1e400",
    "123456789012345678901234567890",
    "-0",
    "5e-400",
    "0.1",
    "9007199254740993",
  ),
);
const keyText = fc.oneof(fc.constantFrom(...KEYS), text).map((key) => JSON.stringify(key));

/** JSON text (not values: duplicate keys and number literals JS cannot hold survive). */
const { value: jsonText } = fc.letrec<{ value: string; array: string; object: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    text.map((item) => JSON.stringify(item)),
    numberText,
    fc.constantFrom("true", "false", "null"),
    tie("array"),
    tie("object"),
  ),
  array: fc.array(tie("value"), { maxLength: 5 }).map((items) => `[${items.join(",")}]`),
  object: fc
    .array(fc.tuple(keyText, tie("value")), { maxLength: 6 })
    .map((pairs) => `{${pairs.map(([key, item]) => `${key}:${item}`).join(",")}}`),
}));

/** A body nested `depth` levels (shallow, or deep enough to overflow a recursive walk), then any value. */
const deepText = fc
  .tuple(
    fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 6_000, max: 30_000 })),
    fc.constantFrom("[", '{"a":', '{"messages":'),
    jsonText,
  )
  .map(([depth, open, inner]) => `${open.repeat(depth)}${inner}${(open === "[" ? "]" : "}").repeat(depth)}`);

/** Mostly request-shaped: real field names with random values, so bodies get past the first checks. */
const shapedText = fc
  .tuple(
    fc.constantFrom('"summary"', '"claude"', '"gpt"', '"embed"', '"nope"', "1", "null"),
    fc.oneof(jsonText, fc.constant('[{"role":"user","content":"hi"}]')),
    fc.array(
      fc.tuple(keyText, fc.oneof({ weight: 4, arbitrary: jsonText }, { weight: 1, arbitrary: deepText })),
      {
        maxLength: 4,
      },
    ),
    fc.constantFrom("", ',"stream":true', ',"max_tokens":8', ',"max_tokens":1e400', ',"model":"claude"'),
  )
  .map(
    ([model, messages, extra, tail]) =>
      `{"model":${model},"messages":${messages},"input":${messages}${extra.map(([key, item]) => `,${key}:${item}`).join("")}${tail}}`,
  );

/** A valid request with one field nested deep (the shape of issue 12's finding 3). */
const deepFieldText = fc
  .tuple(
    fc.constantFrom('"summary"', '"claude"', '"gpt"', '"embed"'),
    fc.constantFrom("metadata", "extra", "tool_choice", "input", "response_format"),
    deepText,
  )
  .map(
    ([model, key, deep]) =>
      `{"model":${model},"max_tokens":8,"messages":[{"role":"user","content":"hi"}],"input":"hi",${JSON.stringify(key)}:${deep}}`,
  );

const body = fc.oneof(
  { weight: 1, arbitrary: deepFieldText },
  { weight: 4, arbitrary: shapedText },
  { weight: 3, arbitrary: jsonText },
  { weight: 2, arbitrary: deepText },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
);

const catalogTypes: ReadonlySet<string> = new Set(Object.keys(errorCatalog));
const anthropicTypes: ReadonlySet<string> = new Set(ANTHROPIC_ERROR_TYPES);

/** 2xx, or 4xx in the route's documented envelope with a catalog type. */
function checkAnswer(dialect: "openai" | "anthropic", status: number, answer: string): void {
  assert.ok(status < 500, `answered ${status}: ${answer.slice(0, 300)}`);
  if (status < 300) return;
  assert.ok(status >= 400, `answered ${status}`);
  const parsed = JSON.parse(answer) as Record<string, unknown>;
  const error = parsed.error as Record<string, unknown>;
  assert.equal(typeof error.message, "string", answer);
  if (dialect === "anthropic") {
    assert.equal(parsed.type, "error", answer);
    assert.ok(anthropicTypes.has(String(error.type)), answer);
    assert.ok(catalogTypes.has(String(error.gateway_type)), answer);
  } else {
    assert.ok(catalogTypes.has(String(error.type)), answer);
  }
}

describe("random JSON bodies at intake", () => {
  let env: AnthropicGateway;
  let user: AnthropicGatewayUser;
  before(async () => {
    env = await startAnthropicGateway({
      features: {
        ...ANTHROPIC_FEATURES,
        summary: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }], operatorFallback: true },
        embed: {
          needs: ["embeddings"],
          routes: [{ provider: "openai", model: "text-embedding-3-small" }],
          operatorFallback: true,
        },
      },
    });
    user = await env.user();
  });
  after(() => env.close());

  const routes = [
    { method: "POST", path: "/v1/chat/completions", dialect: "openai" },
    { method: "POST", path: "/v1/embeddings", dialect: "openai" },
    { method: "POST", path: "/v1/messages", dialect: "anthropic" },
    { method: "PUT", path: "/v1/byok/enrollment", dialect: "openai" },
  ] as const;

  for (const route of routes) {
    test(`${route.method} ${route.path}: never 5xx, always the envelope`, async () => {
      await fc.assert(
        fc.asyncProperty(body, async (payload) => {
          const response = await fetch(`${env.gateway.url}${route.path}`, {
            method: route.method,
            headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json" },
            body: payload,
          });
          checkAnswer(route.dialect, response.status, await response.text());
        }),
        { seed: SEED, numRuns: RUNS_PER_ROUTE },
      );
    });
  }

  test("the gateway keeps serving after all of it", async () => {
    const health = await fetch(`${env.gateway.url}/healthz`);
    assert.equal(health.status, 200);
    const chat = await fetch(`${env.gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "summary", messages: [{ role: "user", content: "hi" }] }),
    });
    assert.equal(chat.status, 200, await chat.text());
  });
});

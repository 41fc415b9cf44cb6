import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { inspect } from "node:util";
import { KEY_HEADER_BY_PROVIDER, PROVIDER_IDS, parseByokHeaders, SecretKey } from "../../src/keys/index.ts";
import { addUser, call, enroll } from "../support/gateway-client.ts";
import { registerProbeRoutes } from "../support/probe-routes.ts";
import { startGateway } from "../support/start-gateway.ts";

const CANARY = "sk-CANARY-7f3a9c1e5b2d4f6a8c0e1b3d5f7a9c1e";

test("the secret value type redacts in every rendering", () => {
  const key = new SecretKey(CANARY);
  for (const rendered of [
    String(key),
    `${key}`,
    JSON.stringify({ key }),
    inspect(key),
    inspect({ nested: { key } }, { depth: 5 }),
  ]) {
    assert.ok(!rendered.includes(CANARY), rendered);
    assert.ok(rendered.includes("redacted"), rendered);
  }
  const presented = parseByokHeaders({ "x-byok-openai": CANARY });
  assert.ok(!inspect(presented, { depth: 10 }).includes(CANARY));
  assert.ok(!JSON.stringify(presented).includes(CANARY));
  assert.equal(key.reveal(), CANARY);
});

test("a canary key in every X-BYOK-* header never reaches logs, error bodies or the SQLite files", async () => {
  const gateway = await startGateway({ routes: (app) => registerProbeRoutes(app) });
  const bodies: string[] = [];
  try {
    const token = await addUser(gateway, "canary-user");
    const allHeaders = Object.fromEntries(
      PROVIDER_IDS.map((provider) => [KEY_HEADER_BY_PROVIDER[provider], CANARY]),
    );
    const send = async (
      method: string,
      path: string,
      headers: Record<string, string>,
      body: unknown = {},
    ) => {
      const response = await call(gateway, method, path, {
        token,
        headers,
        body: method === "GET" ? undefined : body,
      });
      bodies.push(response.text, [...response.headers].join("\n"));
      return response;
    };

    // Not enrolled: dropped.
    await send("POST", "/test/probe", allHeaders);
    // Enrolled with the canary itself (valid requests), then a mismatch, then malformed values.
    const enrolled = await enroll(
      gateway,
      token,
      { openai: CANARY, anthropic: CANARY, custom: CANARY },
      { baseUrl: "https://models.example.com/v1" },
    );
    assert.equal(enrolled.status, 200);
    assert.equal((await send("POST", "/test/probe", allHeaders)).status, 200);
    assert.equal(
      (await send("POST", "/test/probe", { ...allHeaders, "x-byok-anthropic": `${CANARY}-other` })).status,
      403,
    );
    assert.equal(
      (await send("POST", "/test/probe", { ...allHeaders, "x-byok-openai": `${CANARY} ${CANARY}` })).status,
      400,
    );
    assert.equal(
      (
        await send("POST", "/test/probe", {
          ...allHeaders,
          "x-byok-custom-base-url": `https://${CANARY}.example.com`,
        })
      ).status,
      403,
    );
    // Recovery paths, malformed JSON, bad auth, unknown route, all carrying the canary.
    await send("PUT", "/v1/byok/enrollment", allHeaders, { fingerprints: { openai: CANARY } });
    await send("GET", "/v1/byok/enrollment", allHeaders);
    await send("POST", "/v1/byok/heartbeat", allHeaders);
    bodies.push(
      (
        await call(gateway, "POST", "/test/probe", {
          token,
          headers: allHeaders,
          rawBody: `{"x": "${CANARY}"`,
        })
      ).text,
    );
    bodies.push(
      (
        await call(gateway, "POST", "/test/probe", {
          headers: { ...allHeaders, authorization: `Bearer ${CANARY}` },
          body: {},
        })
      ).text,
    );
    bodies.push((await call(gateway, "GET", `/nowhere`, { token, headers: allHeaders })).text);

    assert.ok(gateway.logs.length > 20, "requests were logged");
    const logText = gateway.logs.join("");
    assert.ok(logText.includes("[redacted]"), "headers were logged, redacted");
    assert.ok(!logText.includes(CANARY), "the canary appears in the logs");
    assert.ok(!logText.includes("CANARY"), "no part of the canary appears in the logs");
    for (const body of bodies)
      assert.ok(!body.includes("CANARY"), `the canary appears in a response: ${body.slice(0, 200)}`);
  } finally {
    await gateway.app.close();
    await gateway.byok.close();
  }
  const files = readdirSync(gateway.dataDir);
  assert.ok(files.some((file) => file.endsWith(".sqlite")));
  for (const file of files) {
    const bytes = readFileSync(join(gateway.dataDir, file));
    assert.equal(bytes.indexOf("CANARY"), -1, `the canary is in ${file}`);
    assert.equal(bytes.indexOf(Buffer.from("CANARY", "utf16le")), -1, `the canary is in ${file} (UTF-16)`);
  }
  await gateway.close();
});

/**
 * @module test/pipeline/attempt-routes
 * The attempt loop alone, with an inline breaker and hand-fired timers: an open breaker skips its route,
 * each attempt's end is reported to the breakers, the attempt budget and the client's abort stop it (a
 * backoff wait ends on abort with nothing left armed), an untagged error is final, a one-use body is tried once.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { GatewayError } from "../../src/errors/gateway-error.ts";
import { SecretKey } from "../../src/keys/index.ts";
import { statusFailure, tagAttemptFailure, transportFailure } from "../../src/pipeline/attempt-failure.ts";
import { type AttemptOptions, attemptRoutes } from "../../src/pipeline/attempt-routes.ts";
import { type CircuitBreakers, NO_BREAKERS, singleKeyPool } from "../../src/resilience/index.ts";
import { DEFAULT_ATTEMPT_POLICY, type Route } from "../../src/routing/index.ts";
import { createManualTimers } from "../support/manual-timers.ts";

const route = (connection: string, source: Route["source"] = "byok"): Route => ({
  feature: "chat",
  provider: "openai",
  connection,
  model: "m",
  source,
  key: new SecretKey(`sk-${connection}-${source}-000000000000`),
  baseUrl: "https://upstream.example/v1",
  headers: {},
  guarded: false,
  params: {},
  capabilities: new Set(),
  promptCacheKey: "forward",
  responsesApi: false,
});

const fails = (status: number, source: Route["source"] = "byok", retryAfter: string | null = null) =>
  tagAttemptFailure(new GatewayError("upstream_error"), statusFailure(status, source, retryAfter));
const refused = () =>
  tagAttemptFailure(new GatewayError("upstream_error"), transportFailure("connect_failed")!);
const ANSWER = { headers: { "x-byok-route": "set by the serve step" } };

function options(overrides: Partial<AttemptOptions> = {}): AttemptOptions {
  return {
    breakers: NO_BREAKERS,
    policy: DEFAULT_ATTEMPT_POLICY,
    started: 0,
    now: () => 0,
    signal: new AbortController().signal,
    replayable: true,
    random: () => 0,
    ...overrides,
  };
}

/** A breaker per upstream that is open for the names given, recording what it was told. */
function inlineBreakers(open: readonly string[]): CircuitBreakers & { told: string[] } {
  const told: string[] = [];
  return {
    told,
    allow: (upstream) => !open.includes(upstream),
    succeeded: (upstream) => told.push(`ok ${upstream}`),
    failed: (upstream) => told.push(`failed ${upstream}`),
    snapshot: () => [],
    close: async () => {},
  };
}

describe("attemptRoutes", () => {
  test("an open breaker skips its route (named circuit_open); each attempt's end is reported", async () => {
    const breakers = inlineBreakers(["a|byok"]);
    const tried: string[] = [];
    const answer = await attemptRoutes(
      [route("a"), route("b"), route("c")],
      async (attempt) => {
        tried.push(attempt.connection);
        if (attempt.connection === "b") throw fails(504);
        return ANSWER;
      },
      options({ breakers }),
    );
    assert.deepEqual(tried, ["b", "c"]);
    assert.deepEqual(breakers.told, ["failed b|byok", "ok c|byok"]);
    assert.equal(
      answer.headers["x-byok-route"],
      "c/m; source=byok; failed=a/m@byok:circuit_open,b/m@byok:504",
    );
  });

  test("user-caused failures move on but never count against the breaker (500, a non-streamed stall)", async () => {
    const breakers = inlineBreakers([]);
    const stall = (streamed: boolean) =>
      tagAttemptFailure(new GatewayError("upstream_error"), transportFailure("headers_timeout", streamed)!);
    const tried: string[] = [];
    await attemptRoutes(
      [route("a"), route("b"), route("c"), route("d")],
      async (attempt) => {
        tried.push(attempt.connection);
        if (attempt.connection === "a") throw fails(500);
        if (attempt.connection === "b") throw stall(false);
        if (attempt.connection === "c") throw stall(true);
        return ANSWER;
      },
      options({ breakers }),
    );
    assert.deepEqual(tried, ["a", "b", "c", "d"], "each still moves on");
    assert.deepEqual(breakers.told, ["ok a|byok", "failed c|byok", "ok d|byok"]);
    for (const reason of ["connect_failed", "connect_timeout", "tls_failed"]) {
      assert.equal(transportFailure(reason)?.countsAgainstUpstream, true, reason);
    }
    for (const reason of ["total_timeout", "request_failed", "headers_timeout"]) {
      assert.equal(transportFailure(reason)?.countsAgainstUpstream, false, reason);
    }
    for (const status of [500, 400, 403, 429]) {
      assert.equal(statusFailure(status, "operator", null).countsAgainstUpstream, false, String(status));
    }
    for (const status of [502, 503, 504, 529]) {
      assert.equal(statusFailure(status, "byok", null).countsAgainstUpstream, true, String(status));
    }
  });

  test("a BYOK 429 counts for the upstream (the key's limit, not the upstream's failure)", async () => {
    const breakers = inlineBreakers([]);
    await attemptRoutes(
      [route("a"), route("b")],
      async (attempt) => {
        if (attempt.connection === "a") throw fails(429);
        return ANSWER;
      },
      options({ breakers }),
    );
    assert.deepEqual(breakers.told, ["ok a|byok", "ok b|byok"]);
  });

  test("every breaker open: 502 upstream_error, code circuit_open, nothing attempted", async () => {
    await assert.rejects(
      attemptRoutes([route("a")], async () => ANSWER, options({ breakers: inlineBreakers(["a|byok"]) })),
      (error: unknown) =>
        error instanceof GatewayError && error.code === "circuit_open" && error.status === 502,
    );
  });

  test("an untagged error is final: no other route is tried", async () => {
    const tried: string[] = [];
    const contract = new GatewayError("invalid_request");
    await assert.rejects(
      attemptRoutes(
        [route("a"), route("b")],
        async (attempt) => {
          tried.push(attempt.connection);
          throw contract;
        },
        options(),
      ),
      (error) => error === contract,
    );
    assert.deepEqual(tried, ["a"]);
  });

  test("a body that can be sent once is attempted once", async () => {
    let attempts = 0;
    await assert.rejects(
      attemptRoutes(
        [route("a"), route("b")],
        async () => {
          attempts++;
          throw refused();
        },
        options({ replayable: false }),
      ),
    );
    assert.equal(attempts, 1);
  });

  test("maxAttempts bounds retries and fallbacks together", async () => {
    let attempts = 0;
    const policy = {
      ...DEFAULT_ATTEMPT_POLICY,
      fallback: { ...DEFAULT_ATTEMPT_POLICY.fallback, maxAttempts: 3 },
    };
    await assert.rejects(
      attemptRoutes(
        [route("a"), route("b"), route("c"), route("d")],
        async () => {
          attempts++;
          throw refused();
        },
        options({ policy }),
      ),
      (error: unknown) =>
        error instanceof GatewayError &&
        error.headers["x-byok-route"] ===
          "b/m; source=byok; failed=a/m@byok:connect_failed,a/m@byok:connect_failed",
    );
    assert.equal(attempts, 3);
  });

  test("no attempt starts after budgetMs", async () => {
    let clock = 0;
    let attempts = 0;
    await assert.rejects(
      attemptRoutes(
        [route("a"), route("b")],
        async () => {
          attempts++;
          clock += 20_000;
          throw fails(500);
        },
        options({ now: () => clock }),
      ),
    );
    assert.equal(attempts, 1);
  });

  test("a backoff wait ends on the client's abort, nothing left armed, no further attempt", async () => {
    const timers = createManualTimers();
    const client = new AbortController();
    let attempts = 0;
    const running = attemptRoutes(
      [route("a"), route("b")],
      async () => {
        attempts++;
        throw fails(503);
      },
      options({ timers, signal: client.signal, random: () => 0.5 }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(timers.pending(), [125], "half of the 250 ms first backoff (full jitter)");
    client.abort();
    await assert.rejects(running);
    assert.deepEqual(timers.pending(), []);
    assert.equal(attempts, 1);
  });

  test("an operator key's 429 rests that key and tries another of the pool; a one-key pool moves on", async () => {
    const rested: Array<[number, number | null]> = [];
    const keys = [new SecretKey("sk-pool-key-0-000000000000"), new SecretKey("sk-pool-key-1-000000000000")];
    const pool = {
      size: 2,
      pick: (exclude?: ReadonlySet<number>) => {
        const slot = [0, 1].find((candidate) => !exclude?.has(candidate));
        return slot === undefined ? null : { key: keys[slot]!, slot };
      },
      rateLimited: (slot: number, retryAfterMs: number | null) => rested.push([slot, retryAfterMs]),
      refused: () => {},
    };
    const pooled = { ...route("a", "operator"), key: keys[0]!, operatorKey: { pool, slot: 0 } };
    const single = new SecretKey("sk-single-000000000000000");
    const one = {
      ...route("b", "operator"),
      key: single,
      operatorKey: { pool: singleKeyPool(single), slot: 0 },
    };
    const seen: string[] = [];
    await assert.rejects(
      attemptRoutes(
        [pooled, one],
        async (attempt) => {
          seen.push(`${attempt.connection}:${attempt.operatorKey?.slot}`);
          throw fails(429, "operator", "7");
        },
        options(),
      ),
    );
    assert.deepEqual(seen, ["a:0", "a:1", "b:0"]);
    assert.deepEqual(rested, [
      [0, 7000],
      [1, 7000],
    ]);
  });
});

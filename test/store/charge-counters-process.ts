/**
 * @module test/store/charge-counters-process
 * A child process for the cross-process counter tests: opens the SQLite file named in argv (or, with
 * `--postgres <url> <schema>`, that PostgreSQL schema), then on each round message charges the two given
 * counters together as fast as it can and reports how many passed.
 */
import { createPostgresStore, createSqliteStore } from "../../src/store/index.ts";
import type { CounterKey } from "../../src/store/store-types.ts";

interface ChargeRound {
  readonly keys: readonly [CounterKey, CounterKey];
  readonly attempts: number;
  readonly limit: number;
}

const [path, url, schema] = process.argv.slice(2);
if (path === undefined || process.send === undefined) throw new Error("run me with fork(script, [path])");
const store =
  path === "--postgres" && url !== undefined && schema !== undefined
    ? await createPostgresStore({ url, schema })
    : createSqliteStore({ path });

process.on("message", async (message: ChargeRound | "exit") => {
  if (message === "exit") {
    await store.close();
    process.disconnect();
    return;
  }
  const [first, second] = message.keys;
  let passed = 0;
  for (let attempt = 0; attempt < message.attempts; attempt += 1) {
    const result = await store.counters.tryCharge([
      { key: first, amount: 1, limit: message.limit },
      // Never the one refused: shows that the two counters move together.
      { key: second, amount: 0.5, limit: message.limit },
    ]);
    if (result.ok) passed += 1;
  }
  process.send?.({ passed });
});
process.send("ready");

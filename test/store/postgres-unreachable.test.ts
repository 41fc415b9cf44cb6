/**
 * @module test/store/postgres-unreachable.test
 * A PostgreSQL store that cannot reach its server: opening fails with `store_unavailable` (no URL in the
 * error), and an open store's calls fail the same way while connections are refused, then work again.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { isGatewayError } from "../../src/errors/index.ts";
import { createPostgresStore } from "../../src/store/index.ts";
import { createTestSchema } from "../support/postgres.ts";
import { startTcpProxy } from "../support/tcp-proxy.ts";

const PASSWORD = "pg-unreachable-canary-0000";

const isStoreUnavailable = (error: unknown) => {
  assert.ok(isGatewayError(error), String(error));
  assert.equal(error.type, "store_unavailable");
  assert.equal(error.status, 503);
  assert.equal(`${error.message} ${error.stack}`.includes(PASSWORD), false, "no URL in the error");
  return true;
};

test("opening fails with store_unavailable while connections are refused; an open store recovers on its own", async () => {
  const schema = await createTestSchema();
  after(() => schema.drop());
  const proxy = await startTcpProxy({ host: "127.0.0.1", port: 5432 });
  after(() => proxy.close());
  const url = `postgres://postgres:${PASSWORD}@127.0.0.1:${proxy.port}${new URL(schema.url).pathname}`;
  const options = { url, schema: schema.schema, connectTimeoutMs: 2000, statementTimeoutMs: 2000 };

  proxy.setMode("refuse");
  const faults: Error[] = [];
  await assert.rejects(
    createPostgresStore({ ...options, onError: (error) => faults.push(error) }),
    isStoreUnavailable,
  );
  assert.ok(faults.length > 0, "the driver's own error went to onError");

  proxy.setMode("pass");
  const store = await createPostgresStore(options);
  after(() => store.close());
  await store.ping();
  proxy.setMode("refuse");
  proxy.cutAll();
  await assert.rejects(store.ping(), isStoreUnavailable);
  await assert.rejects(store.users.get("anyone"), isStoreUnavailable);
  await assert.rejects(
    store.counters.tryCharge([
      { key: { userId: "u", meter: "requests", scope: "*", periodStart: 0 }, amount: 1, limit: 1 },
    ]),
    isStoreUnavailable,
  );
  proxy.setMode("pass");
  await store.ping();
  assert.equal(await store.users.get("anyone"), null);
});

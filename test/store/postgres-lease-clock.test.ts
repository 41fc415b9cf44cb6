/**
 * @module test/store/postgres-lease-clock.test
 * Leases on PostgreSQL are timed by the server's clock: a replica whose clock is a lease ahead does not
 * sweep another's live hold (lease-clock-skew.ts), on the machine's server in a random schema.
 */
import { after } from "node:test";
import { createPostgresStore, type Store } from "../../src/store/index.ts";
import { createTestSchema } from "../support/postgres.ts";
import { leaseClockSkew } from "./lease-clock-skew.ts";

const schema = await createTestSchema();
const stores: Store[] = [];
after(async () => {
  for (const store of stores) await store.close();
  await schema.drop();
});

async function open(clock?: "caller"): Promise<Store> {
  const store = await createPostgresStore({
    url: schema.url,
    schema: schema.schema,
    ...(clock ? { clock } : {}),
  });
  stores.push(store);
  return store;
}

// One after the other: the first migrates the schema.
const a = await open();
const b = await open();
const caller = await open("caller");
leaseClockSkew("postgres", async () => ({ a: a.counters, b: b.counters, caller: caller.counters }));

/**
 * @module test/enrollment/enrollment-race
 * Two enrollment updates of one user at once: the one that writes last overwrites what the other wrote, so
 * a key that only the other enrolled is replaced, and calls opened on it in between are cut
 * (`enrollment_changed`); afterwards the gateway accepts exactly what the store holds. On SQLite and
 * PostgreSQL, through the real HTTP gateway; the store is the real one, its enrollment write held back
 * once (the store is an injected edge of `createByok`) so the interleaving is the same on every run.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createPostgresStore, createSqliteStore, type Store } from "../../src/store/index.ts";
import { call, enroll } from "../support/gateway-client.ts";
import { type GatewayUser, type ModelGateway, startModelGateway } from "../support/model-gateway.ts";
import { createTestSchema, type TestSchema } from "../support/postgres.ts";
import { ADMIN_TOKEN } from "../support/start-gateway.ts";

const FIRST_KEY = "sk-user-openai-race-first-000000000";
const SECOND_KEY = "sk-user-openai-race-second-11111111";

interface HeldWrite {
  /** Resolves when the held writer has reached its enrollment write (it read what it needed before it). */
  readonly reached: Promise<void>;
  /** Lets the held write go on. */
  release(): void;
}

/** The real store, whose next enrollment write for one user waits until the test releases it. */
function holdingStore(store: Store): Store & { holdNextWrite(userId: string): HeldWrite } {
  let held: { userId: string; reached: () => void; released: Promise<void> } | null = null;
  const enrollments: Store["enrollments"] = {
    ...store.enrollments,
    async put(enrollment) {
      if (held !== null && held.userId === enrollment.userId) {
        const { reached, released } = held;
        held = null;
        reached();
        await released;
      }
      return store.enrollments.put(enrollment);
    },
  };
  return {
    ...store,
    enrollments,
    holdNextWrite(userId) {
      const reached = Promise.withResolvers<void>();
      const released = Promise.withResolvers<void>();
      held = { userId, reached: reached.resolve, released: released.promise };
      return { reached: reached.promise, release: released.resolve };
    },
  };
}

/** A streamed chat call that hangs after its first chunk (the fake's "hang"), read to its end. */
async function openHangingStream(
  env: ModelGateway,
  user: GatewayUser,
  key: string,
): Promise<{ readonly ended: Promise<string> }> {
  const response = await fetch(`${env.gateway.url}/v1/chat/completions`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${user.token}`,
      "content-type": "application/json",
      "x-byok-openai": key,
    },
    body: JSON.stringify({ model: "summary", stream: true, messages: [{ role: "user", content: "hang" }] }),
  });
  if (response.status !== 200)
    assert.fail(`the call was refused: ${response.status} ${await response.text()}`);
  assert.match(response.headers.get("x-byok-route") ?? "", /source=byok/);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const first = await reader.read();
  text += decoder.decode(first.value, { stream: true });
  const ended = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return text;
        text += decoder.decode(value, { stream: true });
      }
    } catch {
      return `${text}<aborted>`;
    }
  })();
  return { ended };
}

/** The `code` of the error in a stream's last `data:` event, or null. */
function lastErrorCode(text: string): string | null {
  const events = text.split("\n\n").filter((event) => event.startsWith("data: "));
  const last = events.at(-1)?.slice("data: ".length);
  if (last === undefined || last === "[DONE]") return null;
  return (JSON.parse(last) as { error?: { code?: string } }).error?.code ?? null;
}

const chatStatus = async (env: ModelGateway, user: GatewayUser, key: string) =>
  (
    await call(env.gateway, "POST", "/v1/chat/completions", {
      token: user.token,
      headers: { "x-byok-openai": key },
      body: { model: "summary", messages: [{ role: "user", content: "hi" }] },
    })
  ).status;

let schema: TestSchema;
const backends: Array<{ name: string; open: () => Promise<Store | undefined> }> = [
  { name: "sqlite", open: async () => undefined },
  {
    name: "postgres",
    open: async () => {
      schema = await createTestSchema();
      return createPostgresStore({ url: schema.url, schema: schema.schema });
    },
  },
];

for (const backend of backends) {
  describe(`concurrent enrollment updates (${backend.name})`, () => {
    let env: ModelGateway;
    let store: ReturnType<typeof holdingStore>;

    before(async () => {
      const opened = await backend.open();
      env = await startModelGateway({
        store: (dataDir) => {
          store = holdingStore(opened ?? defaultSqlite(dataDir));
          return store;
        },
      });
    });
    after(async () => {
      await env?.close();
      if (backend.name === "postgres") await schema?.drop();
    });

    test("a write that read the enrollment before another one's write still cuts the calls on the key it overwrote", async () => {
      const user = await env.user({ openai: FIRST_KEY });
      // B re-enrolls the first key: against what B read, it replaces nothing. Its write waits.
      const held = store.holdNextWrite(user.id);
      const enrollB = enroll(env.gateway, user.token, { openai: FIRST_KEY });
      await held.reached;
      // Meanwhile A enrolls a second key, and a call opens on it.
      assert.equal((await enroll(env.gateway, user.token, { openai: SECOND_KEY })).status, 200);
      const onSecondKey = await openHangingStream(env, user, SECOND_KEY);
      // B's write goes on: it overwrites A's enrollment, so the second key is no longer enrolled.
      held.release();
      assert.equal((await enrollB).status, 200);
      // The cut (if any) happened before B was answered. Revoking the user now ends whatever is still open,
      // so the stream ends either way; its last event says which came first.
      const revoked = await call(env.gateway, "DELETE", `/admin/users/${user.id}`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      assert.equal(revoked.status, 200, revoked.text);
      const text = await onSecondKey.ended;
      assert.equal(lastErrorCode(text), "enrollment_changed", `the call on the overwritten key: ${text}`);
    });

    test("after the race the gateway accepts exactly the key the store holds (the cache matches the store)", async () => {
      const user = await env.user({ openai: FIRST_KEY });
      const held = store.holdNextWrite(user.id);
      const enrollB = enroll(env.gateway, user.token, { openai: FIRST_KEY });
      await held.reached;
      assert.equal((await enroll(env.gateway, user.token, { openai: SECOND_KEY })).status, 200);
      assert.equal(await chatStatus(env, user, SECOND_KEY), 200, "A's key, cached while A's enrollment held");
      held.release();
      assert.equal((await enrollB).status, 200);
      const stored = await store.enrollments.get(user.id);
      assert.ok(stored?.fingerprints.openai !== undefined);
      assert.equal(await chatStatus(env, user, SECOND_KEY), 403, "the overwritten key is refused");
      assert.equal(await chatStatus(env, user, FIRST_KEY), 200, "the stored key is accepted");
    });
  });
}

function defaultSqlite(dataDir: string): Store {
  return createSqliteStore({ path: join(dataDir, "byok.sqlite") });
}

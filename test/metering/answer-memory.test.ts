import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createAnswerMemory } from "../../src/metering/create-answer-memory.ts";

describe("answer memory (per user and in all)", () => {
  test("a user's share: bytes past it are refused with 429 answer_memory, nothing counted", () => {
    const memory = createAnswerMemory({ totalBytes: 1000, perUserBytes: 400 });
    const share = memory.open("alice");
    assert.equal(share.take(300), null);
    const refused = share.take(101);
    assert.equal(refused?.status, 429);
    assert.equal(refused?.type, "rate_limited");
    assert.equal(refused?.code, "answer_memory");
    assert.equal(refused?.headers["retry-after"], "1");
    assert.equal(memory.heldBy("alice"), 300);
    // Another call of the same user shares the same bound.
    assert.equal(memory.open("alice").take(101)?.status, 429);
    assert.equal(memory.open("bob").take(400), null);
    assert.equal(memory.held, 700);
  });

  test("the process's budget: past it 503 answer_memory, whoever asks", () => {
    const memory = createAnswerMemory({ totalBytes: 1000, perUserBytes: 400 });
    assert.equal(memory.open("a").take(400), null);
    assert.equal(memory.open("b").take(400), null);
    const refused = memory.open("c").take(201);
    assert.equal(refused?.status, 503);
    assert.equal(refused?.type, "service_unavailable");
    assert.equal(refused?.code, "answer_memory");
    assert.equal(memory.heldBy("c"), 0);
    assert.equal(memory.held, 800);
  });

  test("give and release return bytes once; a released share counts nothing more", () => {
    const memory = createAnswerMemory({ totalBytes: 1000, perUserBytes: 400 });
    const share = memory.open("alice");
    assert.equal(share.take(250), null);
    share.give(100); // a failed attempt dropped what it collected
    assert.equal(memory.heldBy("alice"), 150);
    share.give(1000); // never more than the share holds
    assert.equal(memory.heldBy("alice"), 0);
    assert.equal(share.take(200), null);
    share.release();
    share.release();
    assert.equal(memory.held, 0);
    assert.equal(memory.heldBy("alice"), 0);
    assert.equal(share.take(10_000), null); // after release: the call is ending, nothing is counted
    assert.equal(memory.held, 0);
  });

  test("seeded random calls: the books always balance and never pass either bound", () => {
    let seed = 0x5eed;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const memory = createAnswerMemory({ totalBytes: 10_000, perUserBytes: 4_000 });
    const open: { user: string; share: ReturnType<typeof memory.open>; held: number }[] = [];
    const started = Date.now();
    for (let step = 0; step < 20_000 && Date.now() - started < 2000; step++) {
      const choice = random();
      if (choice < 0.3 || open.length === 0) {
        const user = `u${Math.floor(random() * 4)}`;
        open.push({ user, share: memory.open(user), held: 0 });
      } else if (choice < 0.8) {
        const entry = open[Math.floor(random() * open.length)]!;
        const bytes = Math.floor(random() * 3000);
        if (entry.share.take(bytes) === null) entry.held += bytes;
      } else {
        const index = Math.floor(random() * open.length);
        open[index]!.share.release();
        open.splice(index, 1);
      }
      const expected = open.reduce((sum, entry) => sum + entry.held, 0);
      assert.equal(memory.held, expected);
      assert.ok(memory.held <= 10_000);
      for (const user of ["u0", "u1", "u2", "u3"]) assert.ok(memory.heldBy(user) <= 4_000);
    }
    for (const entry of open) entry.share.release();
    assert.equal(memory.held, 0);
  });
});

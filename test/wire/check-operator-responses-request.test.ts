/**
 * @module test/wire/check-operator-responses-request
 * The operator-account allow list for Responses requests, seeded and time-bounded: arbitrary JSON never
 * throws and always answers a decision with a `param`; a generated allowed body passes; an allowed body
 * with one refused part added is refused at that part.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  checkOperatorResponsesRequest,
  OPERATOR_SAFE_INCLUDES,
} from "../../src/wire/openai/check-operator-responses-request.ts";

const SEED = 1207;
const RUNS = { seed: SEED, numRuns: 300, interruptAfterTimeLimit: 20_000, markInterruptAsFailure: true };

const text = fc.string({ maxLength: 20 });

const part = fc.oneof(
  fc.record({ type: fc.constant("input_text"), text }),
  fc.record({
    type: fc.constant("input_image"),
    image_url: fc.webUrl(),
    detail: fc.constantFrom("auto", "low"),
  }),
  fc.record({ type: fc.constant("output_text"), text, annotations: fc.constant([]) }),
  fc.record({ type: fc.constant("refusal"), refusal: text }),
);

const item = fc.oneof(
  fc.record({
    role: fc.constantFrom("user", "assistant", "system", "developer"),
    content: fc.oneof(text, fc.array(part, { maxLength: 4 })),
  }),
  fc.record({
    type: fc.constant("message"),
    role: fc.constant("user"),
    content: fc.array(part, { maxLength: 4 }),
  }),
  fc.record({ type: fc.constant("function_call"), call_id: text, name: text, arguments: text }),
  fc.record({
    type: fc.constant("function_call_output"),
    call_id: text,
    output: fc.oneof(text, fc.array(part, { maxLength: 2 })),
  }),
  fc.record({
    type: fc.constant("reasoning"),
    id: text,
    summary: fc.constant([]),
    encrypted_content: fc.string({ minLength: 1, maxLength: 20 }),
  }),
);

const allowedBody = fc.record(
  {
    model: text,
    input: fc.oneof(text, fc.array(item, { maxLength: 6 })),
    instructions: text,
    tools: fc.array(fc.record({ type: fc.constant("function"), name: text }), { maxLength: 3 }),
    tool_choice: fc.oneof(
      fc.constantFrom("auto", "none", "required"),
      fc.record({ type: fc.constant("function"), name: text }),
    ),
    include: fc.subarray([...OPERATOR_SAFE_INCLUDES]),
    service_tier: fc.constantFrom("auto", "default", null),
    store: fc.constantFrom(false, null),
    background: fc.constantFrom(false, null),
    stream: fc.boolean(),
    max_output_tokens: fc.nat(),
  },
  { requiredKeys: ["model"] },
);

/** One refused part, added to an allowed body, and the `param` it must be refused at. */
const refusal = fc.oneof(
  fc.constant([{ background: true }, "background"] as const),
  fc.constant([{ store: true }, "store"] as const),
  fc.constant([{ previous_response_id: "resp_1" }, "previous_response_id"] as const),
  fc.constant([{ prompt: { id: "pmpt_1" } }, "prompt"] as const),
  fc.constant([{ service_tier: "priority" }, "service_tier"] as const),
  fc
    .constantFrom(
      "file_search",
      "mcp",
      "web_search",
      "code_interpreter",
      "image_generation",
      "computer_use_preview",
    )
    .map((type) => [{ tools: [{ type }] }, "tools[0].type"] as const),
  fc
    .constantFrom("file_search_call.results", "code_interpreter_call.outputs", "web_search_call.results")
    .map((entry) => [{ include: [entry] }, "include[0]"] as const),
  fc.constant([
    { input: [{ role: "user", content: [{ type: "input_file", file_id: "file-1" }] }] },
    "input[0].content[0].file_id",
  ] as const),
  fc.constant([
    { input: [{ type: "reasoning", id: "rs_1", summary: [] }] },
    "input[0].encrypted_content",
  ] as const),
  fc.constant([{ input: [{ type: "item_reference", id: "msg_1" }] }, "input[0]"] as const),
  fc.constant([{ some_future_field: { billed: true } }, "some_future_field"] as const),
);

test(`arbitrary JSON never throws and answers a decision (seeded ${SEED})`, () => {
  fc.assert(
    fc.property(
      fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 4 })),
      fc.boolean(),
      (body, allowStateful) => {
        const decision = checkOperatorResponsesRequest(body, { allowStateful });
        if (!decision.ok) assert.ok(decision.param.length > 0 && decision.message.length > 0);
      },
    ),
    RUNS,
  );
  // The fields it reads, with arbitrary values.
  const fields = fc.record(
    {
      input: fc.jsonValue({ maxDepth: 4 }),
      instructions: fc.jsonValue({ maxDepth: 3 }),
      tools: fc.jsonValue({ maxDepth: 3 }),
      tool_choice: fc.jsonValue({ maxDepth: 2 }),
      include: fc.jsonValue({ maxDepth: 2 }),
      service_tier: fc.jsonValue({ maxDepth: 1 }),
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(fields, (body) => {
      checkOperatorResponsesRequest(body, { allowStateful: false });
    }),
    RUNS,
  );
});

test(`a generated allowed body passes; one refused part added is refused at it (seeded ${SEED})`, () => {
  fc.assert(
    fc.property(allowedBody, refusal, (body, [fields, param]) => {
      assert.deepEqual(checkOperatorResponsesRequest(body, { allowStateful: false }), { ok: true });
      const decision = checkOperatorResponsesRequest({ ...body, ...fields }, { allowStateful: false });
      assert.equal(decision.ok, false);
      assert.equal(decision.ok ? null : decision.param, param);
    }),
    RUNS,
  );
});

test("allowStatefulOnOperatorKeys lets stored state through, never the operator's other resources", () => {
  const stateful = { allowStateful: true };
  for (const body of [
    { previous_response_id: "resp_1" },
    { conversation: "conv_1" },
    { store: true },
    { input: [{ type: "item_reference", id: "msg_1" }] },
    { input: [{ type: "reasoning", id: "rs_1", summary: [] }] },
  ])
    assert.deepEqual(checkOperatorResponsesRequest(body, stateful), { ok: true }, JSON.stringify(body));
  for (const body of [{ background: true }, { prompt: { id: "p" } }, { tools: [{ type: "file_search" }] }])
    assert.equal(checkOperatorResponsesRequest(body, stateful).ok, false, JSON.stringify(body));
});

/**
 * @module test/support/stream-fuzz-events
 * The upstream events test/wire/stream-fuzz.test.ts mixes, per dialect (chat, messages, Responses): valid ones,
 * errors and hidden or masked forms of a canary key, unreadable ones (events ending in `}` that are no JSON
 * included), oversized, bad UTF-8.
 */
import fc from "fast-check";

export const CANARY = "sk-canary-fuzz-0123456789ABCDEFwxyz";
export const TAP_CAP = 4096;

export type Dialect = "openai" | "anthropic" | "responses";
/** One upstream event: text pieces and raw bytes (invalid UTF-8), lines joined with "\n". */
type Piece = string | Buffer;
export type Pieces = readonly Piece[];

const json = (value: unknown) => JSON.stringify(value);
const text = fc.string({ maxLength: 12 });
/** A Responses API event as OpenAI sends it (its type on the `event:` line). */
const responsesEvent = (value: { type: string } & Record<string, unknown>) =>
  `event: ${value.type}\ndata: ${json(value)}\n\n`;
const WHERE = '"item_id":"msg_1","output_index":0,"content_index":0';
const responsesDelta = (sequence: string, delta: string, rest = ',"logprobs":[]}') =>
  `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":${sequence},${WHERE},"delta":"${delta}"${rest}\n\n`;
const RESPONSE = { id: "resp_1", object: "response", status: "completed", output: [] };
const RESPONSES_USAGE = '"usage":{"input_tokens":3,"output_tokens":2,"total_tokens":5}';

/** Valid events of each dialect. */
export const VALID: Record<Dialect, fc.Arbitrary<Pieces>> = {
  openai: fc.oneof(
    text.map((content) => [
      `data: ${json({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`,
    ]),
    fc.constant([
      `data: ${json({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } })}\n\n`,
    ]),
    fc.constant([": keep-alive\n\n"]),
    fc.constant(["data: [DONE]\n\n"]),
  ),
  anthropic: fc.oneof(
    fc.constant([
      `event: message_start\ndata: ${json({ type: "message_start", message: { id: "msg_1", type: "message", role: "assistant", model: "c", content: [], stop_reason: null, usage: { input_tokens: 3, output_tokens: 1 } } })}\n\n`,
    ]),
    fc.constant([
      `event: content_block_start\ndata: ${json({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } })}\n\n`,
    ]),
    text.map((value) => [
      `event: content_block_delta\ndata: ${json({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: value } })}\n\n`,
    ]),
    fc.constant([`event: ping\ndata: {"type": "ping"}\n\n`]),
    fc.constant([
      `event: message_delta\ndata: ${json({ type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 2 } })}\n\n`,
    ]),
    fc.constant([`event: message_stop\ndata: {"type":"message_stop"}\n\n`]),
  ),
  responses: fc.oneof(
    fc.constant([responsesEvent({ type: "response.created", sequence_number: 0, response: RESPONSE })]),
    fc.tuple(fc.nat({ max: 999 }), text).map(([sequence, delta]) => [
      responsesEvent({
        type: "response.output_text.delta",
        sequence_number: sequence,
        item_id: "msg_1",
        output_index: 0,
        content_index: 0,
        delta,
        logprobs: [],
      }),
    ]),
    fc.constant([
      responsesEvent({
        type: "response.completed",
        sequence_number: 9,
        response: { ...RESPONSE, usage: { input_tokens: 3, output_tokens: 2, total_tokens: 5 } },
      }),
    ]),
  ),
};

/** An upstream error quoting the canary in the places the dialect may put it. */
export const ERROR: Record<Dialect, (where: "message" | "type" | "code") => Pieces> = {
  openai: (where) => [
    `data: ${json({ error: { message: where === "message" ? `bad key ${CANARY}` : "bad", type: where === "type" ? CANARY : "server_error", code: where === "code" ? CANARY : null } })}\n\n`,
  ],
  anthropic: (where) => [
    `event: error\ndata: ${json({ type: "error", error: { type: where === "type" ? CANARY : "api_error", message: where === "message" ? `bad key ${CANARY}` : "bad" } })}\n\n`,
  ],
  responses: (where) => [
    responsesEvent({
      type: "error",
      sequence_number: 4,
      code: where === "code" ? CANARY : "server_error",
      message: where === "message" ? `bad key ${CANARY}` : "bad",
      param: null,
    }),
  ],
};

/** The masked forms of the canary providers echo (keys/redact-secrets.ts): never to leave either. */
export const MASKED = [
  `${CANARY.slice(0, 6)}...${CANARY.slice(-4)}`,
  `${CANARY.slice(0, 10)}****${CANARY.slice(-4)}`,
  `${CANARY.slice(0, 4)}…${CANARY.slice(-4)}`,
  `***${CANARY.slice(-4)}`,
];
export const CHUNK_PREFIX = '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m"';

/** The canary with its character at `index` as a JSON `\uXXXX` escape (the same string once parsed). */
const escapeAt = (index: number) =>
  `${CANARY.slice(0, index)}\\u${CANARY.charCodeAt(index).toString(16).padStart(4, "0")}${CANARY.slice(index + 1)}`;

/** `text` with every JSON `\uXXXX` escape decoded (what a client's JSON.parse reads). */
export const decodeJsonEscapes = (text: string) =>
  text.replace(/\\u([0-9a-fA-F]{4})/g, (_match, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );

/**
 * The canary hidden from byte searches (review findings 2, 3): an escaped `error` name, one escaped key
 * character (anywhere, right after the prefix included), no error field, a conforming event.
 */
export const HIDDEN: Record<Dialect, fc.Arbitrary<Pieces>> = {
  openai: fc.nat({ max: CANARY.length - 1 }).chain((at) =>
    fc.constantFrom<Pieces>(
      [`data: {"\\u0065rror":{"message":"bad key ${CANARY}"}}\n\n`],
      [`data: {"error":{"message":"bad key ${escapeAt(at)}","type":"x"}}\n\n`],
      [`data: {"detail":"bad key ${escapeAt(at)}"}\n\n`],
      [`data: {"detail":"bad key ${CANARY}"}\n\n`],
      [`data: {"id":"c","choices":[],"${escapeAt(at)}":1}\n\n`],
      [`data: {"id":"c","choices":[],"note":"${CANARY}"}\n\n`],
      // A masked key outside any error field of a conforming chunk: in the delta's content, another field.
      ...MASKED.map((masked) => [
        `data: ${CHUNK_PREFIX},"choices":[{"index":0,"delta":{"content":"key ${masked}"},"finish_reason":null}]}\n\n`,
      ]),
      ...MASKED.map((masked) => [
        `data: ${CHUNK_PREFIX},"system_fingerprint":"${masked}","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}\n\n`,
      ]),
    ),
  ),
  anthropic: fc
    .nat({ max: CANARY.length - 1 })
    .chain((at) =>
      fc.constantFrom<Pieces>(
        [`event: error\ndata: {"type":"\\u0065rror","\\u0065rror":{"message":"bad key ${CANARY}"}}\n\n`],
        [`event: error\ndata: {"type":"error","error":{"type":"api_error","message":"${escapeAt(at)}"}}\n\n`],
        [`event: ping\ndata: {"detail":"${escapeAt(at)}","type":"ping"}\n\n`],
        [`event: ping\ndata: {"type":"ping","note":"${CANARY}"}\n\n`],
        ...MASKED.map((masked) => [
          `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"key ${masked}"}}\n\n`,
        ]),
        [`event: ping\ndata: {"type":"ping","${escapeAt(at)}":1}\n\n`],
      ),
    ),
  responses: fc
    .nat({ max: CANARY.length - 1 })
    .chain((at) =>
      fc.constantFrom<Pieces>(
        [`event: error\ndata: {"type":"error","\\u0065rror":{"message":"bad key ${CANARY}"}}\n\n`],
        [responsesDelta("3", `key ${escapeAt(at)}`)],
        [responsesDelta("3", `key ${CANARY}`)],
        ...MASKED.map((masked) => [responsesDelta("3", `key ${masked}`)]),
      ),
    ),
};

/** Unreadable events (never relayed: the stream ends with invalid_upstream_event instead). */
export const INVALID: Record<Dialect, readonly Pieces[]> = {
  openai: [
    [`data: {not json ${CANARY}\n\n`],
    [`garbage ${CANARY}\n\n`],
    ['data: {"choices":"notarray"}\n\n'],
    // One line of `data: {…}` ending in `}` that is no JSON: cut short, a `}` misplaced, a trailing comma.
    [`data: ${CHUNK_PREFIX},"choices":[{"index":0,"delta":{"content":"${CANARY}"},"finish_reason":null}\n\n`],
    [`data: ${CHUNK_PREFIX},"choices":[{"index":0,"delta":{"content":"hi"}},"finish_reason":null]}\n\n`],
    [
      `data: ${CHUNK_PREFIX},"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":14,"total_tokens":15},}\n\n`,
    ],
    [`data: ${CHUNK_PREFIX},"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":14},}\n\n`],
  ],
  anthropic: [
    [`event: content_block_delta\ndata: {not json ${CANARY}\n\n`],
    [`garbage ${CANARY}\n\n`],
    // One line ending in `}` that is no JSON: a delta cut short, a trailing comma.
    [
      `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"${CANARY}"}\n\n`,
    ],
    [
      `event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":2},}\n\n`,
    ],
  ],
  responses: [
    [`event: response.output_text.delta\ndata: {not json ${CANARY}\n\n`],
    [`garbage ${CANARY}\n\n`],
    ['event: error\ndata: {"type":5}\n\n'],
    // One typed line ending in `}` that is no JSON: a delta cut short, a raw tab, a leading zero, a trailing comma.
    [responsesDelta("3", CANARY, ',"logprobs":[{"token":"a"}')],
    [responsesDelta("3", `${CANARY}\t`)],
    [responsesDelta("03", CANARY)],
    [
      responsesEvent({ type: "response.completed", sequence_number: 9, response: RESPONSE }).replace(
        '"output":[]}}',
        `"output":[],${RESPONSES_USAGE},}}`,
      ),
    ],
  ],
};

export const HUGE: Pieces = [`data: {"x":"${"k".repeat(TAP_CAP + 100)}${CANARY}"}\n\n`];
export const BAD_UTF8: Record<Dialect, Pieces> = {
  openai: [
    'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"',
    Buffer.from([0xff, 0xc3, 0x28, 0xe2, 0x82]),
    '"},"finish_reason":null}]}\n\n',
  ],
  anthropic: [
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"',
    Buffer.from([0xf0, 0x9f, 0x98, 0xff, 0xc0]),
    '"}}\n\n',
  ],
  responses: [
    `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":3,${WHERE},"delta":"`,
    Buffer.from([0xff, 0xc3, 0x28]),
    '"}\n\n',
  ],
};

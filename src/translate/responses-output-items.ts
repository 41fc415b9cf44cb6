/**
 * @module translate/responses-output-items
 * The output items of a translated Responses stream as they grow: one `message` item at a time (its
 * `output_text` and `refusal` parts), `function_call` items by chat tool-call index; each change answered
 * with the typed events that say it, in the order OpenAI's stream grammar gives them.
 */
import type { JsonObject } from "./json-object.ts";

import { MAX_STREAM_ITEMS } from "./stream-failure.ts";

/** What each item costs in held bytes beyond its strings (its events and the final Response's fields). */
export const ITEM_HELD_BYTES = 64;

/** One event before numbering: its type and its fields (`sequence_number` is added when written). */
export interface ResponsesEvent {
  readonly type: string;
  readonly fields: JsonObject;
}

interface Part {
  readonly kind: "output_text" | "refusal";
  text: string;
}

interface MessageItem {
  readonly kind: "message";
  readonly outputIndex: number;
  readonly id: string;
  readonly parts: Part[];
}

interface CallItem {
  readonly kind: "function_call";
  readonly outputIndex: number;
  readonly id: string;
  readonly callId: string;
  name: string;
  arguments: string;
  open: boolean;
}

export interface ResponsesOutputItems {
  /** Text (or refusal text) of the assistant's message. */
  text(kind: Part["kind"], delta: string): ResponsesEvent[];
  /** A chat tool-call delta: `index` (or its position), `id`, `function.name`, `function.arguments`. */
  toolCall(index: number, id: string | null, name: string | null, argumentsDelta: string): ResponsesEvent[];
  /** Closes every open item with `status`; answers the closing events. */
  close(status: "completed" | "incomplete"): ResponsesEvent[];
  /** Every item as the final Response lists it. */
  output(status: "completed" | "incomplete" | "in_progress"): JsonObject[];
  /** Bytes held for the final Response: text, arguments, names and ids, plus ITEM_HELD_BYTES per item. */
  heldBytes(): number;
  /** Bytes of generated text, arguments, names and call ids seen (an estimate's basis). */
  textBytes(): number;
  /** Whether more than MAX_STREAM_ITEMS items were asked for (none is added past the cap). */
  overflowed(): boolean;
}

const partOf = (part: Part): JsonObject =>
  part.kind === "output_text"
    ? { type: "output_text", text: part.text, annotations: [], logprobs: [] }
    : { type: "refusal", refusal: part.text };

const messageOf = (item: MessageItem, status: string): JsonObject => ({
  id: item.id,
  type: "message",
  role: "assistant",
  status,
  content: item.parts.map(partOf),
});

const callOf = (item: CallItem, status: string): JsonObject => ({
  id: item.id,
  type: "function_call",
  status,
  call_id: item.callId,
  name: item.name,
  arguments: item.arguments,
});

/** `idOf("msg" | "fc", outputIndex)` names the items (the caller derives them from its response id). */
export function createResponsesOutputItems(
  idOf: (prefix: "msg" | "fc", index: number) => string,
): ResponsesOutputItems {
  const items: (MessageItem | CallItem)[] = [];
  const calls = new Map<number, CallItem>();
  let message: MessageItem | null = null;
  let held = 0;
  let seen = 0;
  let overflow = false;
  /** Content parts opened (text and refusal alternate): they count toward the item cap too. */
  let parts = 0;
  const count = (text: string): void => {
    const bytes = Buffer.byteLength(text);
    held += bytes;
    seen += bytes;
  };
  /** Room for one more item: false (and `overflowed`) past the cap. */
  const room = (): boolean => {
    if (items.length + parts < MAX_STREAM_ITEMS) return true;
    overflow = true;
    return false;
  };

  const event = (type: string, fields: JsonObject): ResponsesEvent => ({ type, fields });

  const closePart = (item: MessageItem, out: ResponsesEvent[]): void => {
    const index = item.parts.length - 1;
    const part = item.parts[index];
    if (part === undefined) return;
    const at = { item_id: item.id, output_index: item.outputIndex, content_index: index };
    out.push(
      part.kind === "output_text"
        ? event("response.output_text.done", { ...at, text: part.text, logprobs: [] })
        : event("response.refusal.done", { ...at, refusal: part.text }),
    );
    out.push(event("response.content_part.done", { ...at, part: partOf(part) }));
  };

  const closeMessage = (status: string, out: ResponsesEvent[]): void => {
    if (message === null) return;
    closePart(message, out);
    out.push(
      event("response.output_item.done", {
        output_index: message.outputIndex,
        item: messageOf(message, status),
      }),
    );
    message = null;
  };

  const closeCall = (call: CallItem, status: string, out: ResponsesEvent[]): void => {
    if (!call.open) return;
    call.open = false;
    out.push(
      event("response.function_call_arguments.done", {
        item_id: call.id,
        output_index: call.outputIndex,
        name: call.name,
        arguments: call.arguments,
      }),
    );
    out.push(
      event("response.output_item.done", { output_index: call.outputIndex, item: callOf(call, status) }),
    );
  };

  return {
    text(kind, delta) {
      const out: ResponsesEvent[] = [];
      if (message === null) {
        if (!room()) return out;
        held += ITEM_HELD_BYTES;
        message = { kind: "message", outputIndex: items.length, id: idOf("msg", items.length), parts: [] };
        items.push(message);
        out.push(
          event("response.output_item.added", {
            output_index: message.outputIndex,
            item: messageOf(message, "in_progress"),
          }),
        );
      }
      let part = message.parts.at(-1);
      if (part?.kind !== kind) {
        // Each part is an item's worth of state and events: counted like one, capped like one.
        if (items.length + parts >= MAX_STREAM_ITEMS) {
          overflow = true;
          return out;
        }
        parts += 1;
        held += ITEM_HELD_BYTES;
        closePart(message, out);
        part = { kind, text: "" };
        message.parts.push(part);
        out.push(
          event("response.content_part.added", {
            item_id: message.id,
            output_index: message.outputIndex,
            content_index: message.parts.length - 1,
            part: partOf(part),
          }),
        );
      }
      part.text += delta;
      count(delta);
      const at = {
        item_id: message.id,
        output_index: message.outputIndex,
        content_index: message.parts.length - 1,
      };
      out.push(
        kind === "output_text"
          ? event("response.output_text.delta", { ...at, delta, logprobs: [] })
          : event("response.refusal.delta", { ...at, delta }),
      );
      return out;
    },
    toolCall(index, id, name, argumentsDelta) {
      const out: ResponsesEvent[] = [];
      let call = calls.get(index);
      // A new id at a known index is a new call (some hosts number every call 0).
      if (call === undefined || (id !== null && id !== "" && id !== call.callId)) {
        if (!room()) return out;
        // Text then tools: the message is whole once a call begins.
        closeMessage("completed", out);
        const itemId = idOf("fc", items.length);
        call = {
          kind: "function_call",
          outputIndex: items.length,
          id: itemId,
          callId: id || itemId,
          name: name ?? "",
          arguments: "",
          open: true,
        };
        items.push(call);
        calls.set(index, call);
        held += ITEM_HELD_BYTES;
        count(call.name);
        count(call.callId);
        out.push(
          event("response.output_item.added", {
            output_index: call.outputIndex,
            item: callOf(call, "in_progress"),
          }),
        );
      } else if (call.name === "" && name !== null) {
        call.name = name;
        count(name);
      }
      if (argumentsDelta !== "" && call.open) {
        call.arguments += argumentsDelta;
        count(argumentsDelta);
        out.push(
          event("response.function_call_arguments.delta", {
            item_id: call.id,
            output_index: call.outputIndex,
            delta: argumentsDelta,
          }),
        );
      }
      return out;
    },
    close(status) {
      const out: ResponsesEvent[] = [];
      closeMessage(status, out);
      for (const item of items) if (item.kind === "function_call") closeCall(item, status, out);
      return out;
    },
    output(status) {
      return items.map((item) => (item.kind === "message" ? messageOf(item, status) : callOf(item, status)));
    },
    heldBytes: () => held,
    textBytes: () => seen,
    overflowed: () => overflow,
  };
}

/**
 * @module egress/read-error-text
 * A streamed call's error answer (status 400 and up) read as text up to MAX_ERROR_BODY_BYTES, as a whole
 * answer's is collected: a longer body is not held, it is dropped with the upstream call ("" is returned).
 */
import type { Readable } from "node:stream";
import { decodeAnswerText, MAX_ERROR_BODY_BYTES } from "./collect-whole-answer.ts";

/** The body's text, or "" when it is longer than the cap or fails (the answer keeps its status). */
export async function readErrorText(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  body.on("error", ignore); // a failure or the drop below only ends the read
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_ERROR_BODY_BYTES) return ""; // leaving the loop destroys the body: the call ends
      chunks.push(chunk);
    }
  } catch {
    return "";
  }
  return decodeAnswerText(Buffer.concat(chunks));
}

function ignore(): void {}

/**
 * @module library/ai-sdk/read-pipeline-text
 * A pipeline answer's whole body as text (answers are strings; a stream is read up to a bound) and the
 * headers it carries, for the JSON-answering calls (chat without streaming, embeddings, transcription).
 */
import type { Readable } from "node:stream";
import type { PipelineResponse } from "../../pipeline/index.ts";

/** Past this the body is not read further (the pipeline's own answers are bounded well below it). */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

async function readStream(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of body) {
    const buffer = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    bytes += buffer.length;
    if (bytes > MAX_BODY_BYTES) {
      body.destroy();
      throw new Error("byok-gateway: the answer is larger than the model's read limit");
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export async function readPipelineText(response: PipelineResponse): Promise<string> {
  return typeof response.body === "string" ? response.body : readStream(response.body);
}

/** Parses the answer's JSON; null when it is not JSON. */
export function parseAnswer(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

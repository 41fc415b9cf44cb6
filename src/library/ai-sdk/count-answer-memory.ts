/**
 * @module library/ai-sdk/count-answer-memory
 * The AI SDK models' pipeline with each call's whole answer counted in the answer memory, as the HTTP
 * server counts it: a share opened per call and given back once the pipeline returned (the answer collected).
 */
import type { AnswerMemory } from "../../metering/create-answer-memory.ts";
import type { ModelCall, ModelPipeline } from "../../pipeline/index.ts";

type CountedOperations = Pick<ModelPipeline, "chatCompletions" | "embeddings" | "transcribe">;

/** Runs `serve` with a share of its own (unless the caller gave one), released when it settles. */
async function withShare<T>(memory: AnswerMemory, call: ModelCall, serve: (call: ModelCall) => Promise<T>) {
  if (call.answerShare !== undefined) return serve(call);
  const answerShare = memory.open(call.userId);
  try {
    return await serve({ ...call, answerShare });
  } finally {
    answerShare.release();
  }
}

export function countAnswerMemory(pipeline: CountedOperations, memory: AnswerMemory): CountedOperations {
  return {
    chatCompletions: (call, body) =>
      withShare(memory, call, (counted) => pipeline.chatCompletions(counted, body)),
    embeddings: (call, body) => withShare(memory, call, (counted) => pipeline.embeddings(counted, body)),
    transcribe: (call, query, upload) =>
      withShare(memory, call, (counted) => pipeline.transcribe(counted, query, upload)),
  };
}

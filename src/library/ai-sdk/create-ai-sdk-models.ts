/**
 * @module library/ai-sdk/create-ai-sdk-models
 * The three AI SDK model factories a `Byok` object carries, over its pipeline.
 */
import type { EmbeddingModelV4, LanguageModelV4, TranscriptionModelV4 } from "@ai-sdk/provider";
import type { AnswerMemory } from "../../metering/create-answer-memory.ts";
import type { ModelPipeline } from "../../pipeline/index.ts";
import { countAnswerMemory } from "./count-answer-memory.ts";
import { createEmbeddingModel } from "./create-embedding-model.ts";
import { createLanguageModel } from "./create-language-model.ts";
import { createTranscriptionModel } from "./create-transcription-model.ts";
import type { ByokModelOptions } from "./resolve-model-call.ts";

export interface ByokModels {
  /**
   * An AI SDK language model for `feature` (or `provider/model`) whose calls run through the gateway's
   * pipeline with the current request's validated keys (or the caller named in `options`).
   */
  model(feature: string, options?: ByokModelOptions): LanguageModelV4;
  /** An AI SDK embedding model for an embeddings feature, bound the same way. */
  embeddingModel(feature: string, options?: ByokModelOptions): EmbeddingModelV4;
  /** An AI SDK transcription model for a speech-to-text feature (prerecorded audio), bound the same way. */
  transcriptionModel(feature: string, options?: ByokModelOptions): TranscriptionModelV4;
}

/** With `memory`, each call's whole answer is counted in it while collected (count-answer-memory.ts). */
export function createAiSdkModels(
  operations: Pick<ModelPipeline, "chatCompletions" | "embeddings" | "transcribe">,
  now: () => number = Date.now,
  memory?: AnswerMemory,
): ByokModels {
  const pipeline = memory === undefined ? operations : countAnswerMemory(operations, memory);
  return {
    model: (feature, options) => createLanguageModel(pipeline, feature, options),
    embeddingModel: (feature, options) => createEmbeddingModel(pipeline, feature, options),
    transcriptionModel: (feature, options) => createTranscriptionModel(pipeline, feature, options, now),
  };
}

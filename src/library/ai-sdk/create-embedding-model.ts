/**
 * @module library/ai-sdk/create-embedding-model
 * `byok.embeddingModel(feature)`: an AI SDK embedding model (specification v4) over the pipeline's
 * `embeddings`, bound like `byok.model` to the request's (or an explicit) caller and keys.
 */
import type { EmbeddingModelV4, EmbeddingModelV4Result } from "@ai-sdk/provider";
import type { ModelPipeline, PipelineResponse } from "../../pipeline/index.ts";
import { BYOK_PROVIDER } from "./create-language-model.ts";
import {
  type CallTarget,
  errorBodyToApiCallError,
  gatewayErrorToApiCallError,
} from "./gateway-error-to-api-call-error.ts";
import { parseAnswer, readPipelineText } from "./read-pipeline-text.ts";
import { type ByokModelOptions, checkModelOptions, resolveModelCall } from "./resolve-model-call.ts";

/** OpenAI's own limit on inputs per request; `embedMany` splits larger lists into calls of this size. */
export const MAX_EMBEDDINGS_PER_CALL = 2048;

type Json = Readonly<Record<string, unknown>>;

function recordOf(value: unknown): Json {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

/** The answer's vectors in input order; null when the answer is not one vector of numbers per input. */
export function readEmbeddings(parsed: unknown, count: number): number[][] | null {
  const data = recordOf(parsed).data;
  if (!Array.isArray(data) || data.length !== count) return null;
  const vectors: Array<number[] | undefined> = new Array(count);
  for (const [position, item] of data.entries()) {
    const entry = recordOf(item);
    const index = typeof entry.index === "number" ? entry.index : position;
    const vector = entry.embedding;
    if (!Number.isInteger(index) || index < 0 || index >= count || vectors[index] !== undefined) return null;
    if (!Array.isArray(vector) || !vector.every((value) => typeof value === "number")) return null;
    vectors[index] = vector as number[];
  }
  return vectors as number[][];
}

export function createEmbeddingModel(
  pipeline: Pick<ModelPipeline, "embeddings">,
  feature: string,
  options: ByokModelOptions = {},
): EmbeddingModelV4 {
  checkModelOptions(options);
  return {
    specificationVersion: "v4",
    provider: BYOK_PROVIDER,
    modelId: feature,
    maxEmbeddingsPerCall: MAX_EMBEDDINGS_PER_CALL,
    supportsParallelCalls: true,
    async doEmbed(callOptions): Promise<EmbeddingModelV4Result> {
      const body: Record<string, unknown> = { model: feature, input: callOptions.values };
      if (callOptions.dimensions !== undefined) body.dimensions = callOptions.dimensions;
      const target: CallTarget = { url: "/v1/embeddings", requestBody: body };
      let response: PipelineResponse;
      try {
        response = await pipeline.embeddings(resolveModelCall(options, callOptions.abortSignal), body);
      } catch (error) {
        throw gatewayErrorToApiCallError(error, target);
      }
      const parsed = parseAnswer(await readPipelineText(response));
      if (response.status >= 400) throw errorBodyToApiCallError(parsed, target, response.status);
      const embeddings = readEmbeddings(parsed, callOptions.values.length);
      if (embeddings === null) throw errorBodyToApiCallError(null, target, 502);
      const tokens = recordOf(recordOf(parsed).usage).prompt_tokens;
      const route = response.headers["x-byok-route"];
      return {
        embeddings,
        ...(typeof tokens === "number" ? { usage: { tokens } } : {}),
        ...(route === undefined ? {} : { providerMetadata: { byok: { route } } }),
        response: { headers: { ...response.headers } },
        warnings: [],
      };
    },
  };
}

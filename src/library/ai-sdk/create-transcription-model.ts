/**
 * @module library/ai-sdk/create-transcription-model
 * `byok.transcriptionModel(feature)`: an AI SDK transcription model (specification v4) over the pipeline's
 * prerecorded speech-to-text (`transcribe`), bound like `byok.model`; Deepgram's query options come from
 * `providerOptions.deepgram`.
 */
import { Readable } from "node:stream";
import type {
  SharedV4Warning,
  TranscriptionModelV4,
  TranscriptionModelV4CallOptions,
  TranscriptionModelV4Result,
} from "@ai-sdk/provider";
import type { ModelPipeline, PipelineResponse } from "../../pipeline/index.ts";
import { BYOK_PROVIDER } from "./create-language-model.ts";
import { deepgramAnswerToTranscript } from "./deepgram-answer-to-transcript.ts";
import {
  type CallTarget,
  errorBodyToApiCallError,
  gatewayErrorToApiCallError,
} from "./gateway-error-to-api-call-error.ts";
import { parseAnswer, readPipelineText } from "./read-pipeline-text.ts";
import { type ByokModelOptions, checkModelOptions, resolveModelCall } from "./resolve-model-call.ts";

/** `model` is the feature; `providerOptions.deepgram`'s scalars (and lists of them) become query options. */
function buildQuery(
  feature: string,
  callOptions: TranscriptionModelV4CallOptions,
  warnings: SharedV4Warning[],
) {
  const query = new URLSearchParams({ model: feature });
  for (const [name, value] of Object.entries(callOptions.providerOptions?.deepgram ?? {})) {
    if (name === "model") {
      warnings.push({
        type: "unsupported",
        feature: "providerOptions.deepgram.model",
        details: "the feature names the model",
      });
      continue;
    }
    for (const item of Array.isArray(value) ? value : [value]) {
      if (typeof item === "string" || typeof item === "number" || typeof item === "boolean") {
        query.append(name, String(item));
      } else {
        warnings.push({ type: "unsupported", feature: `providerOptions.deepgram.${name}` });
      }
    }
  }
  return query;
}

export function createTranscriptionModel(
  pipeline: Pick<ModelPipeline, "transcribe">,
  feature: string,
  options: ByokModelOptions = {},
  now: () => number = Date.now,
): TranscriptionModelV4 {
  checkModelOptions(options);
  return {
    specificationVersion: "v4",
    provider: BYOK_PROVIDER,
    modelId: feature,
    async doGenerate(callOptions): Promise<TranscriptionModelV4Result> {
      const warnings: SharedV4Warning[] = [];
      const query = buildQuery(feature, callOptions, warnings);
      const audio =
        typeof callOptions.audio === "string"
          ? Buffer.from(callOptions.audio, "base64")
          : Buffer.from(callOptions.audio.buffer, callOptions.audio.byteOffset, callOptions.audio.byteLength);
      const target: CallTarget = {
        url: `/v1/listen?${query}`,
        requestBody: { mediaType: callOptions.mediaType, bytes: audio.length },
      };
      let response: PipelineResponse;
      try {
        response = await pipeline.transcribe(resolveModelCall(options, callOptions.abortSignal), query, {
          kind: "audio",
          stream: Readable.from([audio]),
          contentType: callOptions.mediaType,
          contentLength: audio.length,
        });
      } catch (error) {
        throw gatewayErrorToApiCallError(error, target);
      }
      const parsed = parseAnswer(await readPipelineText(response));
      if (response.status >= 400) throw errorBodyToApiCallError(parsed, target, response.status);
      const transcript = deepgramAnswerToTranscript(parsed);
      if (transcript === null) throw errorBodyToApiCallError(null, target, 502);
      const route = response.headers["x-byok-route"];
      return {
        text: transcript.text,
        segments: transcript.segments,
        words: transcript.words,
        language: transcript.language ?? query.get("language") ?? undefined,
        durationInSeconds: transcript.durationInSeconds,
        warnings,
        response: {
          timestamp: new Date(now()),
          modelId: feature,
          headers: { ...response.headers },
          body: parsed,
        },
        ...(route === undefined ? {} : { providerMetadata: { byok: { route } } }),
      };
    },
  };
}

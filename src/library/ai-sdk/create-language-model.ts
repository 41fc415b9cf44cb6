/**
 * @module library/ai-sdk/create-language-model
 * `byok.model(feature)`: an AI SDK language model (specification v4) whose calls run through the
 * gateway's own pipeline (`chatCompletions`) with the bound caller's validated keys: routing, the egress
 * guard, translation, admission, metering and redaction exactly as for an HTTP request.
 */
import { Readable } from "node:stream";
import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4GenerateResult,
  LanguageModelV4StreamResult,
  SharedV4Warning,
} from "@ai-sdk/provider";
import type { ModelPipeline, PipelineResponse } from "../../pipeline/index.ts";
import { buildChatBody } from "./build-chat-body.ts";
import { chatCompletionToResult } from "./chat-completion-to-result.ts";
import { createChatStreamParts } from "./create-chat-stream-parts.ts";
import {
  type CallTarget,
  errorBodyToApiCallError,
  gatewayErrorToApiCallError,
} from "./gateway-error-to-api-call-error.ts";
import { parseAnswer, readPipelineText } from "./read-pipeline-text.ts";
import { type ByokModelOptions, checkModelOptions, resolveModelCall } from "./resolve-model-call.ts";

/** The provider name the AI SDK reports for these models (telemetry, errors). */
export const BYOK_PROVIDER = "byok-gateway";
const CHAT_URL = "/v1/chat/completions";

/** What the AI SDK's `providerMetadata.byok` carries: the route that served the call. */
function routeMetadata(headers: Readonly<Record<string, string>>): { byok: { route: string } } | undefined {
  const route = headers["x-byok-route"];
  return route === undefined ? undefined : { byok: { route } };
}

async function callPipeline(
  pipeline: Pick<ModelPipeline, "chatCompletions">,
  feature: string,
  options: ByokModelOptions,
  callOptions: LanguageModelV4CallOptions,
  stream: boolean,
): Promise<{
  response: PipelineResponse;
  target: CallTarget;
  warnings: SharedV4Warning[];
}> {
  const { body, warnings } = buildChatBody(feature, callOptions, stream);
  const target: CallTarget = { url: CHAT_URL, requestBody: body };
  const call = resolveModelCall(options, callOptions.abortSignal);
  let response: PipelineResponse;
  try {
    response = await pipeline.chatCompletions(call, body);
  } catch (error) {
    throw gatewayErrorToApiCallError(error, target);
  }
  if (response.status >= 400) {
    throw errorBodyToApiCallError(parseAnswer(await readPipelineText(response)), target, response.status);
  }
  return { response, target, warnings };
}

export function createLanguageModel(
  pipeline: Pick<ModelPipeline, "chatCompletions">,
  feature: string,
  options: ByokModelOptions = {},
): LanguageModelV4 {
  checkModelOptions(options);
  let toolCallCount = 0;
  return {
    specificationVersion: "v4",
    provider: BYOK_PROVIDER,
    modelId: feature,
    // Image URLs go to the provider as they are (Chat Completions' `image_url`); nothing is downloaded here.
    supportedUrls: { "image/*": [/^https?:\/\/.+$/] },

    async doGenerate(callOptions): Promise<LanguageModelV4GenerateResult> {
      const { response, target, warnings } = await callPipeline(
        pipeline,
        feature,
        options,
        callOptions,
        false,
      );
      const text = await readPipelineText(response);
      const parsed = parseAnswer(text);
      if (parsed === null) throw errorBodyToApiCallError(null, target, 502);
      const result = chatCompletionToResult(parsed, () => `call-${toolCallCount++}`);
      const providerMetadata = routeMetadata(response.headers);
      return {
        content: result.content,
        finishReason: result.finishReason,
        usage: result.usage,
        ...(providerMetadata === undefined ? {} : { providerMetadata }),
        request: { url: target.url, body: target.requestBody },
        response: { ...result.metadata, headers: { ...response.headers }, body: parsed },
        warnings,
      };
    },

    async doStream(callOptions): Promise<LanguageModelV4StreamResult> {
      const { response, target, warnings } = await callPipeline(
        pipeline,
        feature,
        options,
        callOptions,
        true,
      );
      const source =
        typeof response.body === "string" ? Readable.from([Buffer.from(response.body)]) : response.body;
      // Cancelling the AI SDK's stream destroys the pipeline's body: the upstream call ends with it.
      const bytes = Readable.toWeb(source) as ReadableStream<Uint8Array>;
      const providerMetadata = routeMetadata(response.headers);
      const parts = createChatStreamParts({
        warnings,
        target,
        ...(providerMetadata === undefined ? {} : { providerMetadata }),
        ...(callOptions.includeRawChunks ? { includeRaw: true } : {}),
      });
      return {
        stream: bytes.pipeThrough(parts),
        request: { url: target.url, body: target.requestBody },
        response: { headers: { ...response.headers } },
      };
    },
  };
}

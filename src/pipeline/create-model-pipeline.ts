/**
 * @module pipeline/create-model-pipeline
 * The one ordered path of a model call: parse → route → admit → call upstream → relay, translate or
 * normalize → report. Every route, custom included, takes the same steps (create-pipeline-kit.ts);
 * the dialects differ only in how a body is built and an answer relayed.
 */
import type { ByokContext } from "../validation/byok-context.ts";
import { asObject, createPipelineKit, type PipelineKitOptions } from "./create-pipeline-kit.ts";
import { listModels, type ModelList } from "./list-models.ts";
import type { ModelCall, PipelineResponse } from "./pipeline-types.ts";
import { readRequestNeeds } from "./read-request-needs.ts";
import { serveEmbeddings } from "./serve-embeddings.ts";
import { serveOpenAiChat } from "./serve-openai-chat.ts";

export type { ModelCall, PipelineResponse } from "./pipeline-types.ts";

export interface ModelPipeline {
  chatCompletions(call: ModelCall, body: unknown): Promise<PipelineResponse>;
  embeddings(call: ModelCall, body: unknown): Promise<PipelineResponse>;
  /** The features and direct models this user can use right now. */
  listModels(byok: ByokContext): ModelList;
}

export type ModelPipelineOptions = PipelineKitOptions;

export function createModelPipeline(options: ModelPipelineOptions): ModelPipeline {
  const kit = createPipelineKit(options);
  return {
    async chatCompletions(call, rawBody) {
      const started = kit.now();
      const body = asObject(rawBody, "messages");
      const routed = kit.route(call, "chat", body.model, readRequestNeeds(body));
      return serveOpenAiChat(kit, call, body, routed, started);
    },
    async embeddings(call, rawBody) {
      const started = kit.now();
      const body = asObject(rawBody, "input");
      const routed = kit.route(call, "embeddings", body.model, []);
      return serveEmbeddings(kit, call, body, routed, started);
    },
    listModels: (byok) => listModels(kit.table, byok, Math.floor(kit.now() / 1000)),
  };
}

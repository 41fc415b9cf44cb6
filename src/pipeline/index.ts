/**
 * @module pipeline
 * The one ordered path of a model request.
 */
export {
  createModelPipeline,
  type ModelCall,
  type ModelPipeline,
  type ModelPipelineOptions,
  type PipelineResponse,
} from "./create-model-pipeline.ts";
export type { ModelEntry, ModelList } from "./list-models.ts";
export type { ServedCall, ServedCallSink } from "./served-call.ts";

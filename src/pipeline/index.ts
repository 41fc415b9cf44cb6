/**
 * @module pipeline
 * The one ordered path of a model request.
 */
export { buildRoutingTable } from "./build-routing-table.ts";
export {
  createModelPipeline,
  type ModelCall,
  type ModelPipeline,
  type ModelPipelineOptions,
  type PipelineResponse,
} from "./create-model-pipeline.ts";
export {
  type CutMarks,
  type CutReason,
  createOpenCalls,
  cutError,
  isCut,
  type OpenCall,
  type OpenCaller,
  type OpenCalls,
  type OpenUser,
  type RecheckCaller,
} from "./create-open-calls.ts";
export type { ModelEntry, ModelList } from "./list-models.ts";
export type { LiveSession } from "./open-live-session.ts";
export type { LiveRelay, LiveRelayOptions, LiveSide, LiveSocket } from "./relay-live-session.ts";
export type { ListenUpload } from "./serve-prerecorded.ts";
export type { ServedCall, ServedCallSink } from "./served-call.ts";

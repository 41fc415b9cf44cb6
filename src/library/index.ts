export type { ByokErrorData, ByokModelOptions, ByokModels } from "./ai-sdk/index.ts";
export {
  type AuthenticateAndValidateOptions,
  type Byok,
  type CreateByokOptions,
  createByok,
} from "./create-byok.ts";
export {
  createNodeMiddleware,
  type NodeRequestLike,
  type NodeResponseLike,
} from "./create-node-middleware.ts";
export { currentContext, type RequestContext, requireContext, runWithContext } from "./request-context.ts";

export type { ByokErrorData, ByokModelOptions, ByokModels } from "./ai-sdk/index.ts";
export {
  answerByokEndpoint,
  BYOK_ENDPOINTS,
  type ByokEndpoint,
  type ByokEndpointAnswer,
  type ByokEndpointMethod,
  type ByokEndpointRequest,
  type ByokEndpointTypes,
  findByokEndpoint,
  guardByokEndpoint,
  runByokEndpoint,
} from "./byok-endpoints.ts";
export { type ClosableResponse, clientGoneSignal, withClientSignal } from "./client-gone-signal.ts";
export {
  type AuthenticateAndValidateOptions,
  type Byok,
  type CreateByokOptions,
  createByok,
} from "./create-byok.ts";
export type {
  AdminUser,
  ByokAdmin,
  CreateUserInput,
  IssuedToken,
  PlanSummary,
  UsageOverTimeQuery,
} from "./create-byok-admin.ts";
export {
  createFetchEndpoints,
  createFetchHandler,
  type FetchHandler,
  withResponseHeaders,
} from "./create-fetch-handler.ts";
export {
  type ByokEndpointsOptions,
  createNodeEndpoints,
  type NodeEndpointRequest,
  parseEndpointsPrefix,
  pathBelow,
} from "./create-node-endpoints.ts";
export {
  createNodeMiddleware,
  type NodeRequestLike,
  type NodeResponseLike,
  sendNodeJson,
} from "./create-node-middleware.ts";
export {
  type ByokKeyMode,
  type ErrorAnswer,
  type GuardOptions,
  type GuardOutcome,
  guardRequest,
  toErrorAnswer,
} from "./guard-request.ts";
export { readJsonBody } from "./read-json-body.ts";
export { currentContext, type RequestContext, requireContext, runWithContext } from "./request-context.ts";

/**
 * @module library/ai-sdk
 * The Vercel AI SDK models `byok.model(feature)`, `byok.embeddingModel(feature)`, `byok.transcriptionModel(feature)`.
 */
export { type ByokModels, createAiSdkModels } from "./create-ai-sdk-models.ts";
export type { ByokErrorData } from "./gateway-error-to-api-call-error.ts";
export type { ByokModelOptions } from "./resolve-model-call.ts";

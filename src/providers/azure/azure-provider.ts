/**
 * @module providers/azure/azure-provider
 * Azure OpenAI: OpenAI's chat and embeddings dialect under `/openai/deployments/<deployment>/…?api-version=…`,
 * the key in Azure's `api-key` header. Served on the operator's connection key only.
 */

import type { SecretKey } from "../../keys/secret-key.ts";
import { readOpenAiError } from "../../wire/openai/read-openai-error.ts";
import { modelCapabilities } from "../model-capabilities.ts";
import { joinBaseUrl, type Operation, type PathTarget, type ProviderAdapter } from "../provider-adapter.ts";

/** The one line that reveals the key: every call's auth headers. */
const authHeaders = (key: SecretKey): Record<string, string> => ({ "api-key": key.reveal() });

const OPERATION_PATHS: Readonly<Partial<Record<Operation, string>>> = {
  chat: "/chat/completions",
  embeddings: "/embeddings",
};

/** The generally available api-version the key check uses (the probe has no connection at hand). */
const PROBE_API_VERSION = "2024-10-21";

function pathFor(operation: Operation, target: PathTarget): string | undefined {
  const tail = OPERATION_PATHS[operation];
  const deployment = Object.hasOwn(target.deployments, target.model)
    ? target.deployments[target.model]
    : undefined;
  if (tail === undefined || deployment === undefined || target.apiVersion === null) return undefined;
  return `/openai/deployments/${encodeURIComponent(deployment)}${tail}?api-version=${encodeURIComponent(target.apiVersion)}`;
}

export const azureProvider: ProviderAdapter = {
  id: "azure",
  dialect: "openai",
  // Every Azure resource has its own host: a connection always names its baseUrl.
  defaultBaseUrl: null,
  pathFor,
  authHeaders,
  // Usage in streams (`stream_options`) and base64 embeddings are in the GA api-versions.
  supports: { streamUsage: true, base64Embeddings: true },
  // Deployments run OpenAI's models: the same table, looked up by the route's model name.
  capabilitiesOf: (model) => modelCapabilities("openai", model),
  supportsPromptCacheKey: () => false,
  readError: readOpenAiError,
  // GET /openai/models: lists the resource's models for a valid key, nothing billed.
  buildVerifyProbe: (baseUrl, key) => ({
    url: joinBaseUrl(baseUrl, `/openai/models?api-version=${PROBE_API_VERSION}`),
    headers: authHeaders(key),
  }),
};

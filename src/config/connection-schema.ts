/**
 * @module config/connection-schema
 * The shape of `connections` (docs/features-and-routing.md, "Connections"): named backends of each kind,
 * each with its own base URL, key, extra headers, declared capabilities and (Azure) deployments.
 */
import { z } from "zod";
import { PROVIDER_IDS } from "../keys/provider-ids.ts";
import { SecretKey } from "../keys/secret-key.ts";
import { CAPABILITIES, type Capability, timeoutsSchema } from "./feature-schema.ts";
import { checkOperatorKeys, operatorKeyFields } from "./operator-keys-schema.ts";
import { connectionPoolSettings } from "./upstream-schema.ts";

/** What a connection talks to: a provider with a `providers.*` twin (docs/features-and-routing.md), any OpenAI-compatible server, or Azure OpenAI. */
export const CONNECTION_KINDS = [
  "openai",
  "anthropic",
  "gemini",
  "openrouter",
  "deepgram",
  "openai_compatible",
  "azure",
] as const;
export type ConnectionKind = (typeof CONNECTION_KINDS)[number];

/**
 * Connection names: letters, digits, `_` and `-`. The provider ids are reserved for the `providers.*`
 * form (each provider's own connection is named by its id), so a name never shadows a provider.
 */
export const CONNECTION_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const RESERVED_CONNECTION_NAMES: readonly string[] = PROVIDER_IDS;

/** What an `openai_compatible` connection is assumed to do when it declares nothing (see the docs). */
export const OPENAI_COMPATIBLE_CAPABILITIES: readonly Capability[] = [
  "chat",
  "streaming",
  "tools",
  "json_schema",
];

/** An HTTP header name (RFC 9110 token); the ones the gateway sets itself are refused. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
const GATEWAY_HEADERS = new Set([
  "authorization",
  "api-key",
  "x-api-key",
  "x-goog-api-key",
  "content-type",
  "content-length",
  "accept",
  "accept-encoding",
  "host",
  "connection",
  "transfer-encoding",
  "user-agent",
]);

const headerValue = z
  .string()
  .min(1, "a header value is not empty")
  .max(8192, "a header value is at most 8192 characters")
  .refine((value) => !/[\r\n\0]/.test(value), "a header value has no line breaks")
  .transform((value) => new SecretKey(value));

const headersSchema = z
  .record(z.string(), headerValue)
  .default({})
  .superRefine((headers, context) => {
    const seen = new Set<string>();
    for (const name of Object.keys(headers)) {
      if (seen.has(name.toLowerCase())) {
        context.addIssue({ code: "custom", path: [name], message: "set twice (header names ignore case)" });
      }
      seen.add(name.toLowerCase());
      if (!HEADER_NAME.test(name)) {
        context.addIssue({ code: "custom", path: [name], message: "not a valid HTTP header name" });
      } else if (GATEWAY_HEADERS.has(name.toLowerCase())) {
        context.addIssue({
          code: "custom",
          path: [name],
          message: "set by the gateway itself (the key goes in apiKey)",
        });
      }
    }
  });

export const connectionSchema = z
  .strictObject({
    kind: z.enum(CONNECTION_KINDS),
    /** Where the backend lives; the kind's public API when omitted (required for openai_compatible and azure). */
    baseUrl: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
    /** Deepgram's live (WebSocket) API, when it is not the REST base URL with a ws(s) scheme. */
    liveBaseUrl: z.url({ protocol: /^wss?$/, error: "must be a ws(s) URL" }).optional(),
    /**
     * The operator's key for this backend (prefer BYOK_CONNECTION_<NAME>_API_KEY), or several with weights
     * (`apiKeys`, BYOK_CONNECTION_<NAME>_API_KEYS) and their `keyPool` timing.
     */
    ...operatorKeyFields,
    /** Extra request headers sent with every call on this connection; secrets (never logged or shown). */
    headers: headersSchema,
    /** What this connection's routes can do unless a route declares its own. */
    capabilities: z.array(z.enum(CAPABILITIES)).optional(),
    /** The backend speaks the Responses API (`/v1/responses` passes through); default: kind openai only. */
    responsesApi: z.boolean().optional(),
    /** Time limits for this connection's calls; `upstream.timeouts` fills what is unset. */
    timeouts: timeoutsSchema.optional(),
    ...connectionPoolSettings,
    /** Azure OpenAI: the `api-version` query parameter of every call (e.g. `2024-10-21`). */
    apiVersion: z
      .string()
      .regex(/^[0-9]{4}-[0-9]{2}-[0-9]{2}(-preview)?$/, "an Azure api-version such as 2024-10-21")
      .optional(),
    /** Azure OpenAI: route model → deployment name. */
    deployments: z
      .record(
        z.string().min(1).max(256),
        z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "a deployment name is letters, digits and _.-"),
      )
      .optional(),
  })
  .superRefine(checkOperatorKeys);

export const connectionsSchema = z
  .record(z.string(), connectionSchema)
  .default({})
  .superRefine((connections, context) => {
    for (const [name, connection] of Object.entries(connections)) {
      const issue = (path: readonly (string | number)[], message: string) =>
        context.addIssue({ code: "custom", path: [name, ...path], message });
      if (!CONNECTION_NAME.test(name)) {
        issue([], "connection names are letters, digits, _ and - (at most 64)");
      } else if (RESERVED_CONNECTION_NAMES.includes(name)) {
        issue([], `"${name}" is a provider id: configure that provider under providers.${name}`);
      }
      const { kind } = connection;
      if ((kind === "openai_compatible" || kind === "azure") && connection.baseUrl === undefined) {
        issue(["baseUrl"], `a ${kind} connection needs a baseUrl`);
      }
      if (connection.liveBaseUrl !== undefined && kind !== "deepgram") {
        issue(["liveBaseUrl"], "only deepgram connections have a live (WebSocket) API");
      }
      if (kind === "azure") {
        if (connection.apiVersion === undefined)
          issue(["apiVersion"], "an azure connection needs an apiVersion");
        if (connection.deployments === undefined || Object.keys(connection.deployments).length === 0) {
          issue(["deployments"], "an azure connection needs deployments (model → deployment name)");
        }
      } else {
        if (connection.apiVersion !== undefined)
          issue(["apiVersion"], "only azure connections have an apiVersion");
        if (connection.deployments !== undefined)
          issue(["deployments"], "only azure connections have deployments");
      }
      if (connection.responsesApi === true && kind !== "openai" && kind !== "openai_compatible") {
        issue(["responsesApi"], "only openai and openai_compatible connections may speak the Responses API");
      }
    }
  });

export type ConnectionConfig = z.output<typeof connectionSchema>;

/** `BYOK_CONNECTION_<NAME>_API_KEY`: the name upper-cased, `-` as `_`. */
export function connectionKeyVariable(name: string): string {
  return `BYOK_CONNECTION_${name.toUpperCase().replaceAll("-", "_")}_API_KEY`;
}

/**
 * @module library/guard-request
 * The one core every framework adapter wraps: authenticate, validate the X-BYOK-* keys, and either the
 * request context with the X-BYOK-Status header, or the error answer in OpenAI's envelope.
 */
import { isGatewayError } from "../errors/gateway-error.ts";
import type { HeaderBag } from "../keys/parse-byok-headers.ts";
import { noByokContext } from "../validation/byok-context.ts";
import { ByokRejectedError } from "../validation/create-byok-validator.ts";
import { type OpenAiErrorBody, toOpenAiErrorBody } from "../wire/openai/openai-error-body.ts";
import type { Byok } from "./create-byok.ts";
import { readAuthorization } from "./read-authorization.ts";
import type { RequestContext } from "./request-context.ts";

/** How a guard treats the request's X-BYOK-* keys. */
export type ByokKeyMode =
  /** A key that does not match its enrolled fingerprint rejects the request (403 `byok_key_mismatch`). */
  | "enforce"
  /** Recovery paths (enrollment, usage): mismatched keys are stripped, never a reason to refuse. */
  | "recovery"
  /** Authentication only; the keys are not read (verify checks them as presented). */
  | "skip";

export interface GuardOptions {
  /** `enforce` by default. */
  readonly keys?: ByokKeyMode;
  /** Also accept the settings page's short-lived tokens (`bst_…`); the BYOK endpoints do. */
  readonly allowSettingsToken?: boolean;
}

/** What an adapter sends when it refuses a request: a status, safe headers and OpenAI's error envelope. */
export interface ErrorAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: OpenAiErrorBody;
}

export type GuardOutcome =
  | {
      readonly ok: true;
      readonly context: RequestContext;
      /** `x-byok-status` (absent in `skip` mode, where the keys are not read). */
      readonly headers: Readonly<Record<string, string>>;
    }
  | ({ readonly ok: false } & ErrorAnswer);

/** A gateway error as an adapter answers it; anything else is not an answer (the adapter's own error path). */
export function toErrorAnswer(error: unknown): ErrorAnswer | null {
  if (!isGatewayError(error)) return null;
  const headers: Record<string, string> = { ...error.headers };
  if (error instanceof ByokRejectedError) headers["x-byok-status"] = error.statusHeader;
  if (error.status === 401 && error.type !== "upstream_rejected") headers["www-authenticate"] = "Bearer";
  return { status: error.status, headers, body: toOpenAiErrorBody(error) };
}

/**
 * Authenticates and validates one request. Resolves with the context or the error answer; rejects only
 * with an error that is not the gateway's (the store unreachable), which the adapter passes on.
 */
export async function guardRequest(
  byok: Byok,
  headers: HeaderBag & { authorization?: unknown },
  options: GuardOptions = {},
): Promise<GuardOutcome> {
  const mode = options.keys ?? "enforce";
  try {
    const principal = await byok.authenticate(readAuthorization(headers), {
      allowSettingsToken: options.allowSettingsToken === true,
    });
    // The keys are not read: the context accepts none.
    if (mode === "skip") {
      return { ok: true, context: { principal, byok: noByokContext(principal.userId) }, headers: {} };
    }
    const validated = await byok.validate(principal, headers, { recovery: mode === "recovery" });
    return {
      ok: true,
      context: { principal, byok: validated },
      headers: { "x-byok-status": validated.statusHeader },
    };
  } catch (error) {
    const answer = toErrorAnswer(error);
    if (answer === null) throw error;
    return { ok: false, ...answer };
  }
}

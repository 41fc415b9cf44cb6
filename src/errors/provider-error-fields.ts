/**
 * @module errors/provider-error-fields
 * The one way provider text becomes a client-visible error field: the message keys-redacted and bounded,
 * the code only from the closed set of known provider codes (else `provider_error`), the param only when
 * it is a short identifier path. GatewayError takes provider text only in this branded form.
 */
import { checkKnownProviderCode, UNKNOWN_PROVIDER_CODE } from "./known-provider-codes.ts";

/** Raw, untrusted fields read out of a provider's error (body or stream event). */
export interface ProviderErrorText {
  readonly message: string | null;
  /** The provider's code or type (`rate_limit_exceeded`, `overloaded_error`, …). */
  readonly code: string | null;
  /** The request field at fault (OpenAI's `param`). */
  readonly param?: string | null;
}

declare const checked: unique symbol;

/** Provider fields made safe by `parseProviderErrorFields`; no other code can build one. */
export interface ProviderErrorFields {
  /** The provider's message, keys redacted and bounded; null when it sent none. */
  readonly message: string | null;
  readonly code: string | null;
  readonly param: string | null;
  readonly [checked]: true;
}

/** The longest provider message kept (characters, before the `provider: ` prefix). */
export const PROVIDER_MESSAGE_LIMIT = 500;
/** A longer message is cut before redaction, so redaction's cost is bounded whatever the provider sent. */
const REDACT_WINDOW = 2 * PROVIDER_MESSAGE_LIMIT;

/**
 * `messages[0].content`, `tools.1.function.name`: dot/bracket paths of short identifier segments. A
 * segment of 32+ characters is refused, as every key shape is that long or carries a `-`.
 */
const PARAM_SHAPE =
  /^[A-Za-z_][A-Za-z0-9_]{0,31}(?:(?:\.[A-Za-z_][A-Za-z0-9_]{0,31})|\.\d{1,6}|\[\d{1,6}\])*$/;
const PARAM_LIMIT = 128;

function parseParam(param: string | null | undefined, redact: (text: string) => string): string | null {
  if (typeof param !== "string" || param.length > PARAM_LIMIT || !PARAM_SHAPE.test(param)) return null;
  return redact(param) === param ? param : null;
}

function parseMessage(message: string | null, redact: (text: string) => string): string | null {
  if (typeof message !== "string" || message === "") return null;
  // Cut first, at a window wider than the limit, back to the last space: a token the cut would split (a
  // key's head, unrecognizable once cut) is dropped whole; then redact; then bound what is shown.
  const windowed =
    message.length > REDACT_WINDOW ? message.slice(0, REDACT_WINDOW).replace(/\S*$/, "") : message;
  const redacted = redact(windowed);
  return redacted.length > PROVIDER_MESSAGE_LIMIT
    ? `${redacted.slice(0, PROVIDER_MESSAGE_LIMIT)}…`
    : redacted;
}

/** Untrusted provider error text → fields safe to show a client. `redact` removes the keys in play. */
export function parseProviderErrorFields(
  raw: ProviderErrorText,
  redact: (text: string) => string,
): ProviderErrorFields {
  const code =
    typeof raw.code !== "string" || raw.code === ""
      ? null
      : checkKnownProviderCode(raw.code)
        ? raw.code
        : UNKNOWN_PROVIDER_CODE;
  return {
    message: parseMessage(raw.message, redact),
    code,
    param: parseParam(raw.param, redact),
  } as ProviderErrorFields;
}

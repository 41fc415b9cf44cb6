/**
 * @module pipeline/call-secrets
 * The keys in play for a call (the route's, its connection's headers and every key the user sent): what
 * upstream text is redacted of before it reaches a client (provider error text also of key-shaped tokens),
 * and what a relay's cheap pre-check looks for verbatim.
 */
import { createKeyQuoteCheck, mayQuoteKeyIn } from "../keys/create-key-quote-check.ts";
import { redactKeysInPlay, redactSecrets } from "../keys/redact-secrets.ts";
import type { SecretKey } from "../keys/secret-key.ts";
import type { Route } from "../routing/index.ts";
import type { ModelCall } from "./pipeline-types.ts";

/** Every key in play for a call (the route's, its connection's extra headers, the user's). */
export function secretsOf(call: ModelCall, route: Route): SecretKey[] {
  return [route.key, ...Object.values(route.headers), ...(Object.values(call.byok.keys) as SecretKey[])];
}

/** Removes every key in play and every key-shaped token from provider error text (messages, close reasons). */
export function redactorFor(call: ModelCall, route: Route): (text: string) => string {
  const secrets = secretsOf(call, route);
  return (text) => redactSecrets(text, secrets);
}

/**
 * Removes every key in play, whole or masked, from relayed content (stream events, translated events,
 * transcripts): an id, a hash or a word that merely looks like a key is the upstream's answer, left as sent.
 */
export function contentRedactorFor(call: ModelCall, route: Route): (text: string) => string {
  const secrets = secretsOf(call, route);
  return (text) => redactKeysInPlay(text, secrets);
}

/** Whether bytes quote a key in play verbatim (one `indexOf` per key): a relay's cheap pre-check. */
export function keyQuoteCheckFor(call: ModelCall, route: Route): (bytes: Uint8Array) => boolean {
  return createKeyQuoteCheck(secretsOf(call, route));
}

/** The same pre-check on a text (a translated event, before it is encoded): a few substring searches. */
export function keyQuoteTextCheckFor(call: ModelCall, route: Route): (text: string) => boolean {
  const secrets = secretsOf(call, route);
  return (text) => mayQuoteKeyIn(text, secrets);
}

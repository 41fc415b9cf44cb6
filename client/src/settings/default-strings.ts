/**
 * @module client/settings/default-strings
 * Every text the settings component shows, in English; replace any of them through its `strings`.
 */
import type { ProviderId } from "../user-keys.ts";

export interface SettingsStrings {
  keysHeading: string;
  keysHint: string;
  providerLabels: Record<ProviderId, string>;
  /** Provider names in the enrollment's state and in announcements. */
  providerNames: Record<ProviderId, string>;
  customHeading: string;
  customBaseUrlLabel: string;
  customModelLabel: string;
  customKeyLabel: string;
  customHint: string;
  testButton: string;
  /** The accessible name of a test button; `{provider}` is the provider's label. */
  testButtonLabel: string;
  saveButton: string;
  removeButton: string;
  verifying: string;
  noKeyToTest: string;
  /** `{ms}`: time the check took. */
  resultValid: string;
  /** `{message}`: the provider's or the gateway's message. */
  resultInvalid: string;
  resultUnknown: string;
  /** `{reason}`: the egress guard's reason code; `{explanation}`: its entry in `egressReasonNames`. */
  resultRefused: string;
  /** Words for the egress guard's reason codes (docs/egress.md); an unknown code shows as sent. */
  egressReasonNames: Record<string, string>;
  noMessage: string;
  saving: string;
  saved: string;
  removing: string;
  removed: string;
  /** `{message}`: why the gateway did not delete the enrollment (the keys are gone from the device). */
  removedFromDeviceOnly: string;
  nothingToSave: string;
  /** `{provider}`: the field's label. A key with a character no key holds (non-ASCII, a space inside). */
  keyNotAscii: string;
  /** `{provider}`: the field's label; `{max}`: the longest key accepted. */
  keyTooLong: string;
  /** Keys saved on this device for another account than the token's: neither shown nor sent. */
  keysOfAnotherAccount: string;
  /** Keys saved on this device without an account (by an earlier version): neither shown nor sent. */
  keysWithoutAccount: string;
  /** A save that finished after the token changed: the keys are the previous account's, not shown here. */
  savedForPreviousAccount: string;
  /** `{message}`: the gateway's error message. */
  errorPrefix: string;
  noConnection: string;
  enrollmentHeading: string;
  stateLabel: string;
  stateActive: string;
  stateExpired: string;
  stateNone: string;
  providersLabel: string;
  customEndpointLabel: string;
  lastSeenLabel: string;
  expiresLabel: string;
  none: string;
  routesHeading: string;
  routesHint: string;
  featureColumn: string;
  runsOnColumn: string;
  modelColumn: string;
  sourceByok: string;
  sourceOperator: string;
  sourceNone: string;
  noFeatures: string;
  /** Operation names (`chat`, `embeddings`, `stt`) under each feature. */
  operationNames: Record<string, string>;
  /** Why a feature has no route (`byok_required`, `no_route`, …); an unknown reason shows as sent. */
  reasonNames: Record<string, string>;
  usageHeading: string;
  /** `{from}`, `{to}`: the period's dates. */
  usagePeriod: string;
  chartTitle: string;
  chartByok: string;
  chartOperator: string;
  chartRequests: string;
  chartTokens: string;
  limitsHeading: string;
  /** `{used}`, `{limit}`, `{meter}`, `{period}`, `{reset}`: a limit on everything. */
  limitLine: string;
  /** The same for a limit on a group of features, `{scope}` being the group. */
  limitLineScoped: string;
  /** Meter names (`requests`, `tokens`, `audio_seconds`); an unknown meter shows as sent. */
  meterNames: Record<string, string>;
  /** Period names (`minute`, `hour`, `day`, `month`); an unknown period shows as sent. */
  periodNames: Record<string, string>;
  noLimits: string;
  loading: string;
  /** `{message}`: why a section could not be loaded. */
  loadFailed: string;
}

export const DEFAULT_STRINGS: SettingsStrings = {
  keysHeading: "Your provider keys",
  keysHint: "Keys stay on this device, encrypted. Only their fingerprints are sent to the gateway.",
  providerNames: {
    openai: "OpenAI",
    anthropic: "Anthropic",
    gemini: "Google Gemini",
    openrouter: "OpenRouter",
    deepgram: "Deepgram",
    custom: "Custom endpoint",
  },
  providerLabels: {
    openai: "OpenAI key",
    anthropic: "Anthropic key",
    gemini: "Google Gemini key",
    openrouter: "OpenRouter key",
    deepgram: "Deepgram key",
    custom: "Custom endpoint key",
  },
  customHeading: "Custom endpoint (OpenAI-compatible)",
  customBaseUrlLabel: "Base URL",
  customModelLabel: "Model",
  customKeyLabel: "Key",
  customHint: "For example https://models.example.com/v1. The gateway checks the address before using it.",
  testButton: "Test",
  testButtonLabel: "Test the {provider}",
  saveButton: "Save keys",
  removeButton: "Remove keys",
  verifying: "Checking…",
  noKeyToTest: "Type a key first.",
  resultValid: "Valid ({ms} ms)",
  resultInvalid: "Invalid: {message}",
  resultUnknown: "Could not check: {message}",
  resultRefused: "Refused by the gateway's address check: {explanation} ({reason})",
  egressReasonNames: {
    url_invalid: "this is not a valid URL",
    scheme_not_allowed: "the address must start with https://",
    http_not_allowed: "plain http is not allowed for this host",
    userinfo_not_allowed: "a user name or password in the URL is not allowed",
    query_not_allowed: "a base URL cannot have a query",
    fragment_not_allowed: "a base URL cannot have a fragment",
    host_invalid: "the host name is not valid",
    host_denied: "this host name is not allowed",
    address_denied: "the host is a private or reserved address",
    metadata_address_denied: "the host is a cloud metadata address",
    resolve_failed: "the host name could not be found",
    resolve_empty: "the host name has no address",
    resolve_timeout: "the host name did not resolve in time",
  },
  noMessage: "no message",
  saving: "Saving…",
  saved: "Keys saved. Their fingerprints are enrolled.",
  removing: "Removing…",
  removed: "Keys removed from this device and the gateway.",
  removedFromDeviceOnly:
    "Keys removed from this device, but the gateway could not delete the enrollment: {message}",
  nothingToSave: "Type at least one key to save.",
  keyNotAscii:
    "The {provider} can only hold ASCII letters, digits and punctuation, without spaces: check it for a mistyped or pasted character.",
  keyTooLong: "The {provider} is longer than {max} characters: check that only the key was pasted.",
  keysOfAnotherAccount:
    "Keys saved on this device belong to another account, so they are not shown or used here. Keys you save now replace them on this device.",
  keysWithoutAccount:
    "Keys saved on this device earlier are not tied to an account, so they are not shown or used here. Type your keys again and save them.",
  savedForPreviousAccount:
    "The keys were saved for the account signed in before; this account's keys are unchanged.",
  errorPrefix: "Error: {message}",
  noConnection: "Not connected: no gateway token.",
  enrollmentHeading: "Enrollment",
  stateLabel: "State",
  stateActive: "Active",
  stateExpired: "Expired",
  stateNone: "Not enrolled",
  providersLabel: "Providers",
  customEndpointLabel: "Custom endpoint",
  lastSeenLabel: "Last seen",
  expiresLabel: "Expires",
  none: "None",
  routesHeading: "Which features use your keys",
  routesHint: "With the keys saved here, each feature of this app runs on:",
  featureColumn: "Feature",
  runsOnColumn: "Runs on",
  modelColumn: "Provider and model",
  sourceByok: "Your key",
  sourceOperator: "The app's key",
  sourceNone: "Not available",
  noFeatures: "This app declares no features.",
  operationNames: { chat: "Chat", embeddings: "Embeddings", stt: "Speech to text" },
  reasonNames: {
    byok_required: "Needs your own key for one of its providers",
    no_route: "No provider can serve it",
    model_not_found: "Not available",
  },
  usageHeading: "This month's usage",
  usagePeriod: "{from} to {to}",
  chartTitle: "Usage on your keys and on the app's keys",
  chartByok: "Your keys",
  chartOperator: "The app's keys",
  chartRequests: "Requests",
  chartTokens: "Tokens",
  limitsHeading: "Limits on the app's keys",
  limitLine: "{meter} per {period}: {used} of {limit} used, resets {reset}",
  limitLineScoped: "{meter} per {period} for {scope}: {used} of {limit} used, resets {reset}",
  meterNames: { requests: "Requests", tokens: "Tokens", audio_seconds: "Audio seconds" },
  periodNames: { minute: "minute", hour: "hour", day: "day", month: "month" },
  noLimits: "No limits apply.",
  loading: "Loading…",
  loadFailed: "Could not load: {message}",
};

/** Fills `{name}` placeholders. */
export function formatString(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}

/** The `strings` attribute's JSON object, or null when it is none. */
export function parseStrings(json: string | null): Partial<SettingsStrings> | null {
  if (!json) return null;
  try {
    const parsed: unknown = JSON.parse(json);
    return typeof parsed === "object" && parsed !== null ? (parsed as Partial<SettingsStrings>) : null;
  } catch {
    return null;
  }
}

/** Defaults overlaid with a partial replacement (provider labels merged one by one). */
export function mergeStrings(replacement: Partial<SettingsStrings> | null | undefined): SettingsStrings {
  if (!replacement) return DEFAULT_STRINGS;
  return {
    ...DEFAULT_STRINGS,
    ...replacement,
    providerLabels: { ...DEFAULT_STRINGS.providerLabels, ...replacement.providerLabels },
    providerNames: { ...DEFAULT_STRINGS.providerNames, ...replacement.providerNames },
    operationNames: { ...DEFAULT_STRINGS.operationNames, ...replacement.operationNames },
    reasonNames: { ...DEFAULT_STRINGS.reasonNames, ...replacement.reasonNames },
    egressReasonNames: { ...DEFAULT_STRINGS.egressReasonNames, ...replacement.egressReasonNames },
    meterNames: { ...DEFAULT_STRINGS.meterNames, ...replacement.meterNames },
    periodNames: { ...DEFAULT_STRINGS.periodNames, ...replacement.periodNames },
  };
}

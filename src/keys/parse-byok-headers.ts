/**
 * @module keys/parse-byok-headers
 * Header intake (docs/api.md): finds the X-BYOK-* keys and custom-endpoint settings in a request's headers.
 */

import { keysToFindInNames, quotesKeyIn } from "./create-key-quote-check.ts";
import {
  CUSTOM_BASE_URL_HEADER,
  CUSTOM_MODEL_HEADER,
  type ProviderId,
  providerForHeader,
} from "./provider-ids.ts";
import { SecretKey } from "./secret-key.ts";

/** Header bags as Node, Fastify, fetch `Headers` and plain objects hold them. */
export type HeaderBag =
  | Readonly<Record<string, string | readonly string[] | undefined>>
  | { forEach(callback: (value: string, name: string) => void): void };

export interface PresentedByok {
  /** Keys by provider, trimmed, non-empty, well-formed. */
  readonly keys: Readonly<Partial<Record<ProviderId, SecretKey>>>;
  /** Providers whose header value was malformed (never the value itself). */
  readonly malformed: readonly ProviderId[];
  /** Null when absent, blank or unusable (see `malformedSettings`). */
  readonly customBaseUrl: string | null;
  readonly customModel: string | null;
  /**
   * Custom-endpoint headers that were sent but cannot be used (several values, or longer than 2048
   * characters). Never ignored: validation refuses them, verify answers invalid (docs/api.md).
   */
  readonly malformedSettings: readonly CustomSettingHeader[];
  /** True when at least one key (well-formed or not) was presented. */
  readonly any: boolean;
}

export type CustomSettingHeader = typeof CUSTOM_BASE_URL_HEADER | typeof CUSTOM_MODEL_HEADER;

export const MAX_KEY_LENGTH = 4096;
export const MAX_SETTING_LENGTH = 2048;
/** Printable ASCII without spaces: what every provider's keys are made of. */
const KEY_CHARACTERS = /^[\x21-\x7e]+$/;

export const NO_BYOK: PresentedByok = Object.freeze({
  keys: Object.freeze({}),
  malformed: Object.freeze([]),
  customBaseUrl: null,
  customModel: null,
  malformedSettings: Object.freeze([]),
  any: false,
});

/** The first character of a name that can lowercase to `x-byok-…`: `x` or `X` (nothing else lowercases to `x`). */
const LOWER_X = 0x78;
const UPPER_X = 0x58;

export function parseByokHeaders(headers: HeaderBag): PresentedByok {
  const keys: Partial<Record<ProviderId, SecretKey>> = {};
  const malformed: ProviderId[] = [];
  let any = false;
  let customBaseUrl: string | null = null;
  let customModel: string | null = null;
  // Made only when a setting is unusable: a request's intake allocates no list for the common case.
  let malformedSettings: CustomSettingHeader[] | null = null;

  const visit = (rawName: string, rawValue: string | readonly string[]): void => {
    if (rawName.length < 7) return;
    const first = rawName.charCodeAt(0);
    if (first !== LOWER_X && first !== UPPER_X) return; // most headers: no lowercased copy
    const name = rawName.toLowerCase();
    if (!name.startsWith("x-byok-")) return;
    const single = typeof rawValue === "string" ? rawValue : rawValue.length === 1 ? rawValue[0] : undefined;
    if (name === CUSTOM_BASE_URL_HEADER || name === CUSTOM_MODEL_HEADER) {
      const value = single?.trim();
      if (value === "") return;
      // Node's HTTP server joins a header sent twice into one value with ", " (no URL or model name holds
      // that): sent twice, like an array of values or one too long, it is unusable.
      if (value === undefined || value.length > MAX_SETTING_LENGTH || value.includes(", ")) {
        // Sent but unusable: flagged, so no caller falls back to the enrolled value in its place.
        malformedSettings ??= [];
        if (!malformedSettings.includes(name)) malformedSettings.push(name);
        return;
      }
      if (name === CUSTOM_BASE_URL_HEADER) customBaseUrl = value;
      else customModel = value;
      return;
    }
    const provider = providerForHeader(name);
    if (provider === undefined) return;
    const value = single?.trim();
    if (value === "") return;
    any = true;
    if (value === undefined || value.length > MAX_KEY_LENGTH || !KEY_CHARACTERS.test(value)) {
      malformed.push(provider);
      return;
    }
    keys[provider] = new SecretKey(value);
  };

  if (typeof headers.forEach === "function" && !Array.isArray(headers)) {
    (headers as { forEach(callback: (value: string, name: string) => void): void }).forEach((value, name) => {
      visit(name, value);
    });
  } else {
    // Own enumerable names in Object.entries' order, without its array of pairs.
    const bag = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
    for (const name in bag) {
      if (!Object.hasOwn(bag, name)) continue;
      const value = bag[name];
      if (value !== undefined) visit(name, value);
    }
  }

  // A custom model that holds one of the keys sent (pasted in the wrong field) is unusable too: it would be
  // listed, previewed, routed and recorded as a model name.
  if (customModel !== null && any && quotesKeyIn(customModel, keysToFindInNames(Object.values(keys)))) {
    malformedSettings ??= [];
    malformedSettings.push(CUSTOM_MODEL_HEADER);
  }
  const unusable = malformedSettings === null ? NO_BYOK.malformedSettings : Object.freeze(malformedSettings);
  if (unusable.includes(CUSTOM_BASE_URL_HEADER)) customBaseUrl = null;
  if (unusable.includes(CUSTOM_MODEL_HEADER)) customModel = null;
  if (!any) {
    return customBaseUrl === null && customModel === null && unusable.length === 0
      ? NO_BYOK
      : { ...NO_BYOK, customBaseUrl, customModel, malformedSettings: unusable };
  }
  return Object.freeze({
    keys: Object.freeze(keys),
    malformed: Object.freeze(malformed),
    customBaseUrl,
    customModel,
    malformedSettings: unusable,
    any: true,
  });
}

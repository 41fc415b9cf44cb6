/**
 * @module client/settings/check-key-fields
 * Keys the gateway can never accept in an X-BYOK-* header (printable ASCII without spaces, at most 4096
 * characters: docs/api.md) are refused in the form, the field named, before anything is enrolled or sent.
 */
import type { ProviderId } from "../user-keys.ts";
import { formatString, type SettingsStrings } from "./default-strings.ts";
import { KEY_PROVIDERS, type KeyFields } from "./render-key-fields.ts";

export const MAX_KEY_LENGTH = 4096;
const KEY_CHARACTERS = /^[\x21-\x7e]+$/;
const ALL_PROVIDERS: readonly ProviderId[] = [...KEY_PROVIDERS, "custom"];

export interface KeyFieldProblem {
  readonly provider: ProviderId;
  readonly message: string;
}

/** Why a trimmed, non-empty key could never travel to the gateway, or null when it can. */
export function checkKeyText(key: string): "characters" | "length" | null {
  if (key.length > MAX_KEY_LENGTH) return "length";
  return KEY_CHARACTERS.test(key) ? null : "characters";
}

/**
 * Checks the typed keys of `providers`: a bad one is marked (`aria-invalid`, its result says why), a fixed one
 * unmarked. Answers the first problem, or null.
 */
export function checkKeyFields(
  fields: KeyFields,
  strings: SettingsStrings,
  providers: readonly ProviderId[] = ALL_PROVIDERS,
): KeyFieldProblem | null {
  let first: KeyFieldProblem | null = null;
  for (const provider of providers) {
    const input = fields.inputs[provider];
    const output = fields.results[provider];
    const value = input.value.trim();
    const problem = value === "" ? null : checkKeyText(value);
    if (problem === null) {
      if (input.getAttribute("aria-invalid") === "true") {
        input.removeAttribute("aria-invalid");
        output.replaceChildren();
        output.removeAttribute("data-status");
      }
      continue;
    }
    const template = problem === "length" ? strings.keyTooLong : strings.keyNotAscii;
    const message = formatString(template, {
      provider: strings.providerLabels[provider],
      max: MAX_KEY_LENGTH.toLocaleString("en-US"),
    });
    input.setAttribute("aria-invalid", "true");
    output.textContent = message;
    output.setAttribute("data-status", "invalid");
    first ??= { provider, message };
  }
  return first;
}

/** Checks each key field when the user leaves it after a change (typing or pasting). */
export function watchKeyFields(fields: KeyFields, strings: SettingsStrings): void {
  for (const provider of ALL_PROVIDERS) {
    fields.inputs[provider].addEventListener("change", () => checkKeyFields(fields, strings, [provider]));
  }
}

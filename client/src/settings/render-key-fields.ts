/**
 * @module client/settings/render-key-fields
 * The keys form: a field and a test button per provider, the custom endpoint section, save and remove.
 */
import type { ProviderId, UserKeys } from "../user-keys.ts";
import { createElement } from "./create-element.ts";
import { formatString, type SettingsStrings } from "./default-strings.ts";

export const KEY_PROVIDERS = ["openai", "anthropic", "gemini", "openrouter", "deepgram"] as const;

export interface KeyFields {
  readonly form: HTMLFormElement;
  readonly inputs: Record<ProviderId, HTMLInputElement>;
  readonly customBaseUrl: HTMLInputElement;
  readonly customModel: HTMLInputElement;
  readonly testButtons: Record<ProviderId, HTMLButtonElement>;
  readonly results: Record<ProviderId, HTMLElement>;
  readonly saveButton: HTMLButtonElement;
  readonly removeButton: HTMLButtonElement;
}

function keyInput(id: string, describedBy: string): HTMLInputElement {
  return createElement("input", {
    id,
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    autocapitalize: "off",
    part: "input",
    "aria-describedby": describedBy,
  });
}

export function renderKeyFields(strings: SettingsStrings): KeyFields {
  const inputs = {} as Record<ProviderId, HTMLInputElement>;
  const testButtons = {} as Record<ProviderId, HTMLButtonElement>;
  const results = {} as Record<ProviderId, HTMLElement>;

  const keyRow = (provider: ProviderId, label: string) => {
    const input = keyInput(`key-${provider}`, `result-${provider}`);
    const button = createElement(
      "button",
      {
        type: "button",
        part: "button test-button",
        "aria-label": formatString(strings.testButtonLabel, { provider: strings.providerLabels[provider] }),
        "data-provider": provider,
      },
      strings.testButton,
    );
    const result = createElement("p", { id: `result-${provider}`, class: "result", part: "result" });
    inputs[provider] = input;
    testButtons[provider] = button;
    results[provider] = result;
    return createElement(
      "div",
      { class: "field", part: "field", "data-provider": provider },
      createElement("label", { for: input.id, part: "label" }, label),
      createElement("div", { class: "row" }, input, button),
      result,
    );
  };

  const customBaseUrl = createElement("input", {
    id: "custom-base-url",
    type: "url",
    inputmode: "url",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "https://",
    part: "input",
    "aria-describedby": "custom-hint",
  });
  const customModel = createElement("input", {
    id: "custom-model",
    type: "text",
    autocomplete: "off",
    spellcheck: "false",
    part: "input",
  });
  const custom = createElement(
    "fieldset",
    { part: "custom-endpoint" },
    createElement("legend", { part: "legend" }, strings.customHeading),
    createElement("p", { class: "hint", id: "custom-hint", part: "hint" }, strings.customHint),
    createElement(
      "div",
      { class: "field", part: "field" },
      createElement("label", { for: customBaseUrl.id, part: "label" }, strings.customBaseUrlLabel),
      createElement("div", { class: "row" }, customBaseUrl),
    ),
    createElement(
      "div",
      { class: "field", part: "field" },
      createElement("label", { for: customModel.id, part: "label" }, strings.customModelLabel),
      createElement("div", { class: "row" }, customModel),
    ),
    keyRow("custom", strings.customKeyLabel),
  );

  const saveButton = createElement(
    "button",
    { type: "submit", class: "primary", part: "button save-button" },
    strings.saveButton,
  );
  const removeButton = createElement(
    "button",
    { type: "button", class: "danger", part: "button remove-button" },
    strings.removeButton,
  );
  const form = createElement(
    "form",
    { part: "section keys", "aria-labelledby": "keys-heading", novalidate: true },
    createElement("h2", { id: "keys-heading", part: "heading" }, strings.keysHeading),
    createElement("p", { class: "hint", part: "hint" }, strings.keysHint),
    ...KEY_PROVIDERS.map((provider) => keyRow(provider, strings.providerLabels[provider])),
    custom,
    createElement("div", { class: "actions" }, saveButton, removeButton),
  );
  return { form, inputs, customBaseUrl, customModel, testButtons, results, saveButton, removeButton };
}

/** The keys typed into the form (blank fields left out). */
export function readKeyFields(fields: KeyFields): UserKeys {
  const keys: UserKeys = {};
  for (const provider of [...KEY_PROVIDERS, "custom"] as const) {
    const value = fields.inputs[provider].value.trim();
    if (value) keys[provider] = value;
  }
  const baseUrl = fields.customBaseUrl.value.trim();
  const model = fields.customModel.value.trim();
  if (baseUrl) keys.customBaseUrl = baseUrl;
  if (model) keys.customModel = model;
  return keys;
}

/** Fills the fields with `keys` (blank where absent), clearing every result and invalid mark. */
export function writeKeyFields(fields: KeyFields, keys: UserKeys): void {
  for (const provider of [...KEY_PROVIDERS, "custom"] as const) {
    fields.inputs[provider].value = keys[provider] ?? "";
    fields.inputs[provider].removeAttribute("aria-invalid");
    fields.results[provider].replaceChildren();
    fields.results[provider].removeAttribute("data-status");
  }
  fields.customBaseUrl.value = keys.customBaseUrl ?? "";
  fields.customModel.value = keys.customModel ?? "";
}

/** The keys a test button checks: one provider's key (and, for custom, its base URL and model). */
export function keysToVerify(fields: KeyFields, provider: ProviderId): UserKeys | null {
  const all = readKeyFields(fields);
  const key = all[provider];
  if (!key) return null;
  if (provider !== "custom") return { [provider]: key };
  return {
    custom: key,
    ...(all.customBaseUrl ? { customBaseUrl: all.customBaseUrl } : {}),
    ...(all.customModel ? { customModel: all.customModel } : {}),
  };
}

/** Empties a field's result (a check answered for another account than the page's now); null, for `return`. */
export function clearResult(output: HTMLElement): null {
  output.replaceChildren();
  output.removeAttribute("data-status");
  return null;
}

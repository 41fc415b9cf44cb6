/**
 * @module client/settings/byok-settings
 * `<byok-settings>`: the user's keys (saved encrypted on the device for the token's account, fingerprints
 * enrolled), live checks, the enrollment's state, which features run on whose key, and this month's usage.
 */
import { createBrowserKeyStore } from "../create-browser-key-store.ts";
import { type ByokClient, createByokClient } from "../create-byok-client.ts";
import type { VerifyResult } from "../gateway-types.ts";
import type { KeyStore } from "../key-store.ts";
import type { ProviderId, UserKeys } from "../user-keys.ts";
import { checkKeyFields, watchKeyFields } from "./check-key-fields.ts";
import { createElement } from "./create-element.ts";
import { createFormatters } from "./create-formatters.ts";
import { formatString, mergeStrings, parseStrings, type SettingsStrings } from "./default-strings.ts";
import { describeVerifyResult } from "./describe-verify-result.ts";
import { type AccountKeys, loadAccountKeys, openAccountStore } from "./load-account-keys.ts";
import { renderEnrollmentState } from "./render-enrollment-state.ts";
import {
  clearResult,
  type KeyFields,
  keysToVerify,
  readKeyFields,
  renderKeyFields,
  writeKeyFields,
} from "./render-key-fields.ts";
import { renderRoutesPreview } from "./render-routes-preview.ts";
import { renderSection } from "./render-section.ts";
import { renderUsage } from "./render-usage.ts";
import { errorDetail, type SettingsAction } from "./settings-error-detail.ts";
import { settingsStyleSheet } from "./settings-styles.ts";

interface Sections {
  readonly status: HTMLElement;
  readonly enrollment: HTMLElement;
  readonly routes: HTMLElement;
  readonly usage: HTMLElement;
}

export class ByokSettingsElement extends HTMLElement {
  static readonly observedAttributes = ["base-url", "token", "strings", "lang"];

  #client: ByokClient | null = null;
  #explicitClient = false;
  #token: string | null = null;
  /** A store the app set; else the default store, scoped to the token's account once the gateway named it. */
  #explicitKeyStore: KeyStore | null = null;
  #accountStore: KeyStore | null = null;
  #loads = 0;
  #strings: SettingsStrings = mergeStrings(null);
  #explicitStrings = false;
  #fields: KeyFields | null = null;
  #sections: Sections | null = null;
  #savedKeys: UserKeys = {};
  #generation = 0;

  constructor() {
    super();
    const root = this.attachShadow({ mode: "open" });
    root.adoptedStyleSheets = [settingsStyleSheet()];
  }

  /** The gateway client; set it to bring your own (token provider, fetch); else built from attributes. */
  get client(): ByokClient | null {
    return this.#client;
  }
  set client(value: ByokClient | null) {
    this.#client = value;
    this.#explicitClient = value !== null;
    // Another token may be another account: its keys are cleared from the fields before anything is sent.
    if (this.#sections) void this.#loadKeys();
  }

  /** The token for a client built from `base-url`; a property keeps it out of the DOM's attributes. */
  get token(): string | null {
    return this.#token ?? this.getAttribute("token");
  }
  set token(value: string | null) {
    if (value === this.#token && this.#client !== null && !this.#explicitClient) return; // the same: a refresh
    this.#token = value;
    this.#rebuildClient();
  }

  /** Where keys are kept: by default IndexedDB, encrypted, the token account's only; a store set here as is. */
  get keyStore(): KeyStore {
    return this.#explicitKeyStore ?? this.#accountStore ?? createBrowserKeyStore({ name: this.#storeName() });
  }
  set keyStore(value: KeyStore) {
    this.#explicitKeyStore = value;
    if (this.#sections) void this.#loadKeys();
  }

  #storeName(): string {
    return this.getAttribute("store-name") ?? "byok-keys";
  }

  get strings(): SettingsStrings {
    return this.#strings;
  }
  set strings(value: Partial<SettingsStrings> | null) {
    this.#strings = mergeStrings(value);
    this.#explicitStrings = value !== null;
    this.#render();
  }

  connectedCallback(): void {
    this.#rebuildClient();
    this.#render();
  }

  attributeChangedCallback(name: string, previous: string | null, next: string | null): void {
    if (previous === next) return;
    if (name === "strings" && !this.#explicitStrings) {
      this.#strings = mergeStrings(parseStrings(next));
      if (this.isConnected) this.#render();
    }
    if ((name === "base-url" || name === "token") && this.isConnected) this.#rebuildClient();
  }

  #rebuildClient(): void {
    if (this.#explicitClient) return;
    const token = this.token;
    this.#client = token
      ? createByokClient({ baseUrl: this.getAttribute("base-url") ?? location.origin, token })
      : null;
    if (this.#sections) void this.#loadKeys();
  }

  #render(): void {
    const root = this.shadowRoot;
    if (!root || !this.isConnected) return;
    const strings = this.#strings;
    const fields = renderKeyFields(strings);
    const section = (name: string, heading: string, ...extra: Node[]) =>
      renderSection(name, heading, strings.loading, ...extra);
    const enrollment = section("enrollment", strings.enrollmentHeading);
    const routes = section(
      "routes",
      strings.routesHeading,
      createElement("p", { class: "hint", part: "hint" }, strings.routesHint),
    );
    const usage = section("usage", strings.usageHeading);
    const status = createElement("div", {
      class: "status",
      part: "status",
      role: "status",
      "aria-live": "polite",
    });
    root.replaceChildren(status, fields.form, enrollment.element, routes.element, usage.element);
    this.#fields = fields;
    this.#sections = { status, enrollment: enrollment.body, routes: routes.body, usage: usage.body };
    fields.form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.saveKeys();
    });
    fields.removeButton.addEventListener("click", () => void this.removeKeys());
    watchKeyFields(fields, strings);
    for (const [provider, button] of Object.entries(fields.testButtons)) {
      button.addEventListener("click", () => void this.verifyKey(provider as ProviderId));
    }
    void this.#loadKeys();
  }

  /**
   * Clears the fields, then fills them with the keys saved for the current token's account only (the default
   * store) or from the app's own store; keys saved for another account, or without one, are never loaded.
   */
  async #loadKeys(): Promise<void> {
    const load = ++this.#loads;
    const client = this.#client;
    this.#accountStore = null;
    this.#showKeys({});
    try {
      let loaded: AccountKeys | null = null;
      if (this.#explicitKeyStore) loaded = await loadAccountKeys(this.#explicitKeyStore, null);
      else if (client) {
        const { store, account } = await openAccountStore(client, this.#storeName());
        if (load !== this.#loads) return;
        this.#accountStore = store;
        loaded = await loadAccountKeys(store, account);
      }
      if (load !== this.#loads) return;
      if (loaded) this.#showKeys(loaded.keys);
      if (loaded?.withheld === "another_account") this.#announce(this.#strings.keysOfAnotherAccount);
      if (loaded?.withheld === "no_account") this.#announce(this.#strings.keysWithoutAccount);
    } catch (error) {
      if (load !== this.#loads) return;
      this.#fail("load", error);
    }
    await this.refresh();
  }

  #showKeys(keys: UserKeys): void {
    this.#savedKeys = keys;
    if (this.#fields) writeKeyFields(this.#fields, keys);
  }

  /** Reloads the enrollment's state, the route preview and usage for the saved keys. */
  async refresh(): Promise<void> {
    const sections = this.#sections;
    const client = this.#client;
    if (!sections) return;
    const generation = ++this.#generation;
    if (!client) {
      for (const body of [sections.enrollment, sections.routes, sections.usage]) {
        body.replaceChildren(this.#strings.noConnection);
      }
      return;
    }
    const keys = this.#savedKeys;
    const [status, routes, usage] = await Promise.allSettled([
      client.status(),
      client.routes(keys),
      client.usage(keys),
    ]);
    if (generation !== this.#generation) return;
    const strings = this.#strings;
    const show = <T>(body: HTMLElement, result: PromiseSettledResult<T>, render: (value: T) => Node) => {
      if (result.status === "fulfilled") body.replaceChildren(render(result.value));
      else {
        const detail = errorDetail("load", result.reason);
        body.replaceChildren(
          createElement(
            "p",
            { part: "error" },
            formatString(strings.loadFailed, { message: detail.message }),
          ),
        );
        this.#emit("byok-error", detail);
      }
    };
    show(sections.enrollment, status, (value) =>
      renderEnrollmentState(strings, value, this.#formatters.date),
    );
    show(sections.routes, routes, (value) => renderRoutesPreview(strings, value));
    show(sections.usage, usage, (value) => renderUsage(strings, value, this.#formatters));
  }

  /** Saves the typed keys on the device and enrolls their fingerprints. */
  async saveKeys(): Promise<void> {
    const fields = this.#fields;
    const [client, load] = [this.#client, this.#loads];
    if (!fields) return;
    if (!client) return this.#announce(this.#strings.noConnection, "error");
    if (this.#refuseBadKeys("save")) return;
    const keys = readKeyFields(fields);
    const named = Object.keys(keys).some((name) => name !== "customBaseUrl" && name !== "customModel");
    if (!named) return this.#announce(this.#strings.nothingToSave, "error");
    this.#busy(true);
    this.#announce(this.#strings.saving);
    try {
      // Saved for the account the gateway says this token is (an app's own store: as the app scoped it).
      const store = this.#explicitKeyStore ?? (await openAccountStore(client, this.#storeName())).store;
      const status = await client.enroll(keys);
      await store.save(keys);
      // The token changed meanwhile: the previous account's keys, never shown or sent for the new one.
      if (load !== this.#loads || client !== this.#client)
        return this.#announce(this.#strings.savedForPreviousAccount);
      this.#savedKeys = keys;
      this.#announce(this.#strings.saved);
      this.#emit("byok-saved", { status });
      await this.refresh();
    } catch (error) {
      this.#fail("save", error);
    } finally {
      this.#busy(false);
    }
  }

  /**
   * Clears the keys kept on this device and the fields first, whatever the gateway answers, then deletes
   * the enrollment; a gateway that refuses is reported as such, the keys already gone from the device.
   */
  async removeKeys(): Promise<void> {
    const fields = this.#fields;
    const client = this.#client;
    if (!fields) return;
    this.#busy(true);
    this.#announce(this.#strings.removing);
    try {
      this.#showKeys({});
      await this.keyStore.clear();
    } catch (error) {
      this.#fail("remove", error);
      this.#busy(false);
      return;
    }
    if (!client) {
      // No gateway token: the keys still leave this device; the enrollment stays until a signed-in remove.
      this.#announce(
        formatString(this.#strings.removedFromDeviceOnly, { message: this.#strings.noConnection }),
        "error",
      );
      this.#busy(false);
      return;
    }
    try {
      const status = await client.remove();
      this.#announce(this.#strings.removed);
      this.#emit("byok-removed", { status });
    } catch (error) {
      const detail = errorDetail("remove", error);
      this.#announce(formatString(this.#strings.removedFromDeviceOnly, { message: detail.message }), "error");
      this.#emit("byok-error", detail);
    }
    try {
      await this.refresh();
    } finally {
      this.#busy(false);
    }
  }

  /** Checks one provider's typed key live through the gateway; the result shows beside the field. */
  async verifyKey(provider: ProviderId): Promise<VerifyResult | null> {
    const fields = this.#fields;
    const client = this.#client;
    if (!fields) return null;
    const output = fields.results[provider];
    const keys = keysToVerify(fields, provider);
    output.removeAttribute("data-status");
    if (!client) {
      output.textContent = this.#strings.noConnection;
      return null;
    }
    if (this.#refuseBadKeys("verify", provider)) return null;
    if (!keys) {
      output.textContent = this.#strings.noKeyToTest;
      this.#announce(this.#strings.noKeyToTest);
      return null;
    }
    const button = fields.testButtons[provider];
    button.disabled = true;
    output.textContent = this.#strings.verifying;
    try {
      const { results } = await client.verify(keys);
      const result = results[provider];
      if (client !== this.#client) return clearResult(output); // answered for the account signed in before
      if (!result) throw new Error(`no result for ${provider}`);
      const text = describeVerifyResult(this.#strings, result);
      output.textContent = text;
      output.setAttribute("data-status", result.status);
      this.#announce(`${this.#strings.providerNames[provider]}: ${text}`);
      this.#emit("byok-verified", { provider, result });
      return result;
    } catch (error) {
      const detail = errorDetail("verify", error);
      output.textContent = formatString(this.#strings.errorPrefix, { message: detail.message });
      output.setAttribute("data-status", "unknown");
      this.#fail("verify", error);
      return null;
    } finally {
      button.disabled = false;
    }
  }

  /** True (and said, the field focused) when a typed key could never reach the gateway. */
  #refuseBadKeys(action: SettingsAction, provider?: ProviderId): boolean {
    const fields = this.#fields;
    if (!fields) return false;
    const problem = checkKeyFields(fields, this.#strings, provider ? [provider] : undefined);
    if (!problem) return false;
    this.#announce(problem.message, "error");
    this.#emit("byok-error", { action, status: null, type: "invalid_key", message: problem.message });
    fields.inputs[problem.provider].focus();
    return true;
  }

  #busy(busy: boolean): void {
    if (!this.#fields) return;
    this.#fields.saveButton.disabled = busy;
    this.#fields.removeButton.disabled = busy;
    this.#fields.form.setAttribute("aria-busy", String(busy));
  }

  #announce(text: string, kind: "info" | "error" = "info"): void {
    const status = this.#sections?.status;
    if (!status) return;
    status.setAttribute("data-kind", kind);
    status.textContent = text;
  }

  #fail(action: SettingsAction, error: unknown): void {
    const detail = errorDetail(action, error);
    this.#announce(formatString(this.#strings.errorPrefix, { message: detail.message }), "error");
    this.#emit("byok-error", detail);
  }

  #emit(type: string, detail: object): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  #formatters = createFormatters(
    () => this.getAttribute("lang") ?? this.closest("[lang]")?.getAttribute("lang") ?? undefined,
    () => this.#strings.none,
  );
}

/** Registers the element (once) under `tagName`. */
export function defineByokSettings(tagName = "byok-settings"): void {
  if (!customElements.get(tagName)) customElements.define(tagName, class extends ByokSettingsElement {});
}

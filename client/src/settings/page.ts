/**
 * @module client/settings/page
 * The gateway's /settings/ page: takes the token from `#token=` (then clears it from the address bar) or
 * from a paste form, and mounts `<byok-settings>` against this origin. The token stays in memory only.
 */
import { createByokClient } from "../create-byok-client.ts";
import { type ByokSettingsElement, defineByokSettings } from "./byok-settings.ts";

function tokenFromFragment(): string | null {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get("token")?.trim();
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  return token ? token : null;
}

function mount(token: string): void {
  defineByokSettings();
  const element = document.createElement("byok-settings") as ByokSettingsElement;
  element.client = createByokClient({ baseUrl: location.origin, token });
  const form = document.getElementById("token-form");
  form?.setAttribute("hidden", "");
  document.getElementById("settings")?.replaceChildren(element);
}

function start(): void {
  // Another settings link opened in this tab changes only the fragment: the page starts again for its token.
  addEventListener("hashchange", () => {
    if (new URLSearchParams(location.hash.slice(1)).has("token")) location.reload();
  });
  const token = tokenFromFragment();
  if (token) {
    mount(token);
    return;
  }
  const form = document.getElementById("token-form");
  const input = document.getElementById("token-input");
  if (!(form instanceof HTMLFormElement) || !(input instanceof HTMLInputElement)) return;
  form.removeAttribute("hidden");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const pasted = input.value.trim();
    if (!pasted) {
      input.focus();
      return;
    }
    input.value = "";
    mount(pasted);
  });
  input.focus();
}

start();

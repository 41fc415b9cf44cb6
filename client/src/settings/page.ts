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

/** The token of the page mounted, if any. */
let mounted: string | null = null;

function mount(token: string): void {
  mounted = token;
  defineByokSettings();
  const element = document.createElement("byok-settings") as ByokSettingsElement;
  element.client = createByokClient({ baseUrl: location.origin, token });
  const form = document.getElementById("token-form");
  form?.setAttribute("hidden", "");
  document.getElementById("settings")?.replaceChildren(element);
}

function start(): void {
  // Another settings link opened in this tab changes only the fragment: the page starts again for its token
  // (the same token again: it only leaves the address bar).
  addEventListener("hashchange", () => {
    const token = new URLSearchParams(location.hash.slice(1)).get("token")?.trim();
    if (!token) return;
    if (token === mounted) history.replaceState(null, "", location.pathname + location.search);
    else location.reload();
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

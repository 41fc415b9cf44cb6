/**
 * @module client/settings/render-enrollment-state
 * The enrollment's state: active or expired, providers, custom endpoint, last seen and expiry.
 */
import type { EnrollmentStatus } from "../gateway-types.ts";
import { createElement } from "./create-element.ts";
import type { SettingsStrings } from "./default-strings.ts";

export function renderEnrollmentState(
  strings: SettingsStrings,
  status: EnrollmentStatus,
  formatDate: (iso: string | null) => string,
): HTMLElement {
  const enrolled = status.providers.length > 0;
  const state = status.active ? "active" : enrolled ? "expired" : "none";
  const stateText = { active: strings.stateActive, expired: strings.stateExpired, none: strings.stateNone }[
    state
  ];
  const providers = status.providers.map((provider) => strings.providerNames[provider] ?? provider);
  const custom = status.custom
    ? [status.custom.baseUrl, status.custom.model].filter((part) => part !== null).join(" · ")
    : strings.none;
  const row = (label: string, value: Node | string) =>
    [createElement("dt", {}, label), createElement("dd", {}, value)] as const;
  return createElement(
    "dl",
    { part: "enrollment-state", "data-state": state },
    ...row(strings.stateLabel, createElement("span", { class: "state", "data-state": state }, stateText)),
    ...row(strings.providersLabel, providers.length > 0 ? providers.join(", ") : strings.none),
    ...row(strings.customEndpointLabel, custom),
    ...row(strings.lastSeenLabel, formatDate(status.lastSeenAt)),
    ...row(strings.expiresLabel, formatDate(status.expiresAt)),
  );
}

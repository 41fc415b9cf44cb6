/**
 * @module client/settings/index
 * The settings component's module: `<byok-settings>` and its strings.
 */
export { ByokSettingsElement, defineByokSettings } from "./byok-settings.ts";
export { DEFAULT_STRINGS, type SettingsStrings } from "./default-strings.ts";
export type { SettingsAction, SettingsErrorDetail } from "./settings-error-detail.ts";

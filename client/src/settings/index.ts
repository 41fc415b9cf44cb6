/**
 * @module client/settings/index
 * The settings component's module: `<byok-settings>` and its strings.
 */
export { ByokSettingsElement, defineByokSettings, type SettingsErrorDetail } from "./byok-settings.ts";
export { DEFAULT_STRINGS, type SettingsStrings } from "./default-strings.ts";

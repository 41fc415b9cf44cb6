/**
 * @module client/settings/settings-styles
 * The component's styles as one constructed stylesheet (no inline style: works under `style-src 'self'`).
 */
export const SETTINGS_CSS = `
:host {
  display: block;
  color: var(--byok-color-text, #1d2330);
  background: var(--byok-color-background, transparent);
  font: var(--byok-font, 15px/1.5 system-ui, sans-serif);
  --_accent: var(--byok-color-accent, #1f4fbf);
  --_border: var(--byok-color-border, #8a93a6);
  --_muted: var(--byok-color-muted, #4a5366);
  --_gap: var(--byok-spacing, 1rem);
  --_radius: var(--byok-radius, 6px);
}
:host([hidden]) { display: none; }
* { box-sizing: border-box; }
form, section, fieldset {
  border: 1px solid var(--byok-color-section-border, #d5dae3);
  border-radius: var(--_radius);
  padding: var(--_gap);
  margin: 0 0 var(--_gap);
  background: var(--byok-color-section-background, #ffffff);
}
fieldset { margin: var(--_gap) 0; }
h2 { font-size: 1.15em; margin: 0 0 calc(var(--_gap) / 2); }
h3 { font-size: 1em; margin: var(--_gap) 0 calc(var(--_gap) / 2); }
legend { font-weight: 600; padding: 0 0.3em; }
.hint { color: var(--_muted); margin: 0 0 var(--_gap); font-size: 0.92em; }
.field { margin: 0 0 calc(var(--_gap) * 0.8); }
.field label { display: block; font-weight: 600; margin-bottom: 0.2em; }
.row { display: flex; gap: 0.5em; align-items: stretch; }
input {
  flex: 1;
  min-width: 0;
  font: inherit;
  padding: 0.4em 0.6em;
  color: inherit;
  background: var(--byok-color-input-background, #ffffff);
  border: 1px solid var(--_border);
  border-radius: var(--_radius);
}
button {
  font: inherit;
  padding: 0.4em 0.9em;
  border-radius: var(--_radius);
  border: 1px solid var(--_accent);
  background: var(--byok-color-button-background, #ffffff);
  color: var(--_accent);
  cursor: pointer;
}
button.primary { background: var(--_accent); color: var(--byok-color-on-accent, #ffffff); }
button.danger {
  border-color: var(--byok-color-danger, #a4161a);
  color: var(--byok-color-danger, #a4161a);
}
button:disabled { opacity: 0.6; cursor: progress; }
input:focus-visible, button:focus-visible {
  outline: 3px solid var(--byok-color-focus, #f0a400);
  outline-offset: 2px;
}
.actions { display: flex; gap: 0.75em; flex-wrap: wrap; }
.result { margin: 0.25em 0 0; min-height: 1.5em; font-size: 0.92em; overflow-wrap: anywhere; }
.result[data-status="valid"] { color: var(--byok-color-valid, #146c2e); }
.result[data-status="invalid"] { color: var(--byok-color-invalid, #a4161a); }
.result[data-status="unknown"] { color: var(--byok-color-unknown, #7a4b00); }
.result[data-status]::before { font-weight: 700; margin-right: 0.3em; }
.result[data-status="valid"]::before { content: "✓"; }
.result[data-status="invalid"]::before { content: "✗"; }
.result[data-status="unknown"]::before { content: "?"; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.3em 1em; margin: 0; }
dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; }
.state[data-state="active"] { color: var(--byok-color-valid, #146c2e); font-weight: 600; }
.state[data-state="expired"] { color: var(--byok-color-invalid, #a4161a); font-weight: 600; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.35em 0.5em; border-bottom: 1px solid var(--byok-color-section-border, #d5dae3); }
td[data-source="byok"] { color: var(--byok-color-valid, #146c2e); font-weight: 600; }
td[data-source="none"] { color: var(--byok-color-invalid, #a4161a); }
.reason { display: block; color: var(--_muted); font-size: 0.88em; }
.chart { display: block; width: 100%; max-width: 36em; height: auto; margin: 0.5em 0; }
.chart text { fill: currentColor; font-size: 13px; }
.bar-byok, .swatch-byok { fill: var(--byok-chart-byok, #1f4fbf); }
.bar-operator, .swatch-operator { fill: var(--byok-chart-operator, #c2660a); }
.bar-empty { fill: var(--byok-chart-empty, #e6e9ef); }
ul.limits { list-style: none; padding: 0; margin: 0; }
ul.limits li { margin: 0 0 0.5em; }
progress {
  display: block;
  width: 100%;
  max-width: 36em;
  height: 0.6em;
  appearance: none;
  border: 0;
  border-radius: 999px;
  background: var(--byok-chart-empty, #e6e9ef);
  margin-top: 0.2em;
}
progress::-webkit-progress-bar { background: var(--byok-chart-empty, #e6e9ef); border-radius: 999px; }
progress::-webkit-progress-value { background: var(--byok-chart-operator, #c2660a); border-radius: 999px; }
progress::-moz-progress-bar { background: var(--byok-chart-operator, #c2660a); border-radius: 999px; }
.status { margin: 0 0 var(--_gap); font-weight: 600; }
.status:not(:empty) {
  padding: 0.5em 0.75em;
  border-left: 4px solid var(--_accent);
  background: var(--byok-color-section-background, #ffffff);
}
.status[data-kind="error"]:not(:empty) { border-left-color: var(--byok-color-invalid, #a4161a); }
.status[data-kind="error"] { color: var(--byok-color-invalid, #a4161a); }
.visually-hidden {
  position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap;
}
`;

let shared: CSSStyleSheet | undefined;

/** One stylesheet shared by every instance on the page. */
export function settingsStyleSheet(): CSSStyleSheet {
  if (!shared) {
    shared = new CSSStyleSheet();
    shared.replaceSync(SETTINGS_CSS);
  }
  return shared;
}

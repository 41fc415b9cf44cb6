/**
 * @module client/settings/render-routes-preview
 * Which of the app's features run on the user's keys and which on the operator's (GET /v1/byok/routes).
 */
import type { RoutePreview } from "../gateway-types.ts";
import { createElement } from "./create-element.ts";
import type { SettingsStrings } from "./default-strings.ts";

export function renderRoutesPreview(strings: SettingsStrings, preview: RoutePreview): HTMLElement {
  if (preview.features.length === 0) return createElement("p", { part: "empty" }, strings.noFeatures);
  const source = (value: "byok" | "operator" | null) =>
    value === "byok"
      ? strings.sourceByok
      : value === "operator"
        ? strings.sourceOperator
        : strings.sourceNone;
  const rows = preview.features.map((feature) =>
    createElement(
      "tr",
      { "data-feature": feature.feature, "data-operation": feature.operation },
      createElement(
        "th",
        { scope: "row" },
        feature.feature,
        createElement(
          "span",
          { class: "reason" },
          strings.operationNames[feature.operation] ?? feature.operation,
        ),
      ),
      createElement(
        "td",
        { "data-source": feature.source ?? "none" },
        source(feature.source),
        feature.reason
          ? createElement("span", { class: "reason" }, strings.reasonNames[feature.reason] ?? feature.reason)
          : null,
      ),
      createElement(
        "td",
        {},
        feature.provider ? [feature.provider, feature.model].filter(Boolean).join(" / ") : "—",
      ),
    ),
  );
  return createElement(
    "table",
    { part: "routes-table" },
    createElement(
      "thead",
      {},
      createElement(
        "tr",
        {},
        createElement("th", { scope: "col" }, strings.featureColumn),
        createElement("th", { scope: "col" }, strings.runsOnColumn),
        createElement("th", { scope: "col" }, strings.modelColumn),
      ),
    ),
    createElement("tbody", {}, ...rows),
  );
}

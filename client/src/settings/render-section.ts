/**
 * @module client/settings/render-section
 * One of the component's sections (enrollment, routes, usage): a labelled heading and a body that says it is loading.
 */
import { createElement } from "./create-element.ts";

export function renderSection(
  name: string,
  heading: string,
  loading: string,
  ...extra: Node[]
): { element: HTMLElement; body: HTMLElement } {
  const body = createElement("div", { part: `${name}-body` }, loading);
  const element = createElement(
    "section",
    { part: `section ${name}`, "aria-labelledby": `${name}-heading` },
    createElement("h2", { id: `${name}-heading`, part: "heading" }, heading),
    ...extra,
    body,
  );
  return { element, body };
}

/**
 * @module client/settings/create-element
 * Builds DOM nodes from plain values (text through textContent only: nothing is ever parsed as HTML).
 */
export type Child = Node | string | null | undefined | false;

export interface ElementProps {
  readonly [attribute: string]: string | boolean | undefined;
}

const SVG_NS = "http://www.w3.org/2000/svg";

function fill(node: Element, props: ElementProps, children: readonly Child[]): void {
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child);
  }
}

export function createElement<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: ElementProps = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  fill(node, props, children);
  return node;
}

export function createSvgElement<K extends keyof SVGElementTagNameMap>(
  tag: K,
  props: ElementProps = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  fill(node, props, children);
  return node;
}

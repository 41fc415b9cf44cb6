/**
 * @module test/browser/support/run-axe
 * axe-core in the page (evaluated through the DevTools protocol, so the page's CSP stays as it is) and its
 * violations, serious and critical ones apart.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Page } from "playwright-core";

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly targets: string[];
}

export async function runAxe(page: Page): Promise<{ blocking: AxeViolation[]; other: AxeViolation[] }> {
  if (!(await page.evaluate<boolean>("typeof window.axe === 'object'"))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate<AxeViolation[]>(`
    axe.run(document, { resultTypes: ["violations"] }).then((result) => result.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact ?? null,
      help: violation.help,
      targets: violation.nodes.map((node) => JSON.stringify(node.target)),
    })))`);
  const blocking = violations.filter(
    (violation) => violation.impact === "serious" || violation.impact === "critical",
  );
  return { blocking, other: violations.filter((violation) => !blocking.includes(violation)) };
}

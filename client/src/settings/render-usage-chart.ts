/**
 * @module client/settings/render-usage-chart
 * An inline SVG bar chart (no library): one bar per meter, split into BYOK-served and operator-served.
 */
import { createSvgElement } from "./create-element.ts";
import type { SettingsStrings } from "./default-strings.ts";

export interface ChartRow {
  readonly label: string;
  readonly byok: number;
  readonly operator: number;
}

const WIDTH = 480;
const LABEL = 90;
const BAR = 22;
const ROW = 44;
const LEGEND = 30;

let chartCount = 0;

export function renderUsageChart(
  strings: SettingsStrings,
  rows: readonly ChartRow[],
  formatNumber: (value: number) => string,
): SVGSVGElement {
  chartCount += 1;
  const titleId = `usage-chart-title-${chartCount}`;
  const height = LEGEND + rows.length * ROW;
  const span = WIDTH - LABEL - 10;
  const svg = createSvgElement(
    "svg",
    {
      class: "chart",
      part: "chart",
      viewBox: `0 0 ${WIDTH} ${height}`,
      role: "img",
      "aria-labelledby": titleId,
    },
    createSvgElement("title", { id: titleId }, describe(strings, rows, formatNumber)),
  );
  const legend = (x: number, kind: "byok" | "operator", text: string) => [
    createSvgElement("rect", { x: String(x), y: "4", width: "14", height: "14", class: `swatch-${kind}` }),
    createSvgElement("text", { x: String(x + 20), y: "16" }, text),
  ];
  svg.append(
    ...legend(LABEL, "byok", strings.chartByok),
    ...legend(LABEL + 170, "operator", strings.chartOperator),
  );
  rows.forEach((row, index) => {
    const y = LEGEND + index * ROW;
    const total = row.byok + row.operator;
    const byokWidth = total === 0 ? 0 : Math.round((row.byok / total) * span);
    svg.append(createSvgElement("text", { x: "0", y: String(y + 16) }, row.label));
    if (total === 0) {
      svg.append(
        createSvgElement("rect", {
          x: String(LABEL),
          y: String(y),
          width: String(span),
          height: String(BAR),
          class: "bar-empty",
        }),
      );
    } else {
      svg.append(
        createSvgElement("rect", {
          x: String(LABEL),
          y: String(y),
          width: String(byokWidth),
          height: String(BAR),
          class: "bar-byok",
        }),
        createSvgElement("rect", {
          x: String(LABEL + byokWidth),
          y: String(y),
          width: String(span - byokWidth),
          height: String(BAR),
          class: "bar-operator",
        }),
      );
    }
    svg.append(
      createSvgElement(
        "text",
        { x: String(LABEL), y: String(y + BAR + 14) },
        `${strings.chartByok}: ${formatNumber(row.byok)} · ${strings.chartOperator}: ${formatNumber(row.operator)}`,
      ),
    );
  });
  return svg;
}

function describe(
  strings: SettingsStrings,
  rows: readonly ChartRow[],
  formatNumber: (value: number) => string,
) {
  const lines = rows.map(
    (row) =>
      `${row.label}: ${strings.chartByok} ${formatNumber(row.byok)}, ${strings.chartOperator} ${formatNumber(row.operator)}`,
  );
  return `${strings.chartTitle}. ${lines.join("; ")}`;
}

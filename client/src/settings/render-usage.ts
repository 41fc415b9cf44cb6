/**
 * @module client/settings/render-usage
 * This month's usage: a chart of BYOK-served against operator-served, and the plan's limits.
 */
import type { UsageReport } from "../gateway-types.ts";
import { createElement } from "./create-element.ts";
import { formatString, type SettingsStrings } from "./default-strings.ts";
import { renderUsageChart } from "./render-usage-chart.ts";

export interface UsageFormats {
  /** A date and time (a limit's reset). */
  readonly date: (iso: string | null) => string;
  /** A day (the period's bounds). */
  readonly day: (iso: string | null) => string;
  readonly number: (value: number) => string;
}

function lastInstantBefore(iso: string): string {
  const end = Date.parse(iso);
  return Number.isNaN(end) ? iso : new Date(end - 1).toISOString();
}

export function renderUsage(
  strings: SettingsStrings,
  report: UsageReport,
  formats: UsageFormats,
): DocumentFragment {
  const { date: formatDate, number: formatNumber } = formats;
  const fragment = document.createDocumentFragment();
  const { byok, operator } = report.usage;
  fragment.append(
    createElement(
      "p",
      { class: "hint", part: "hint" },
      formatString(strings.usagePeriod, {
        from: formats.day(report.usage.from),
        // The period's end is exclusive (the next month's first instant): show its last day.
        to: formats.day(lastInstantBefore(report.usage.to)),
      }),
    ),
    renderUsageChart(
      strings,
      [
        { label: strings.chartRequests, byok: byok.requests, operator: operator.requests },
        {
          label: strings.chartTokens,
          byok: byok.input_tokens + byok.output_tokens,
          operator: operator.input_tokens + operator.output_tokens,
        },
      ],
      formatNumber,
    ),
    createElement("h3", { part: "subheading" }, strings.limitsHeading),
  );
  if (report.limits.length === 0) {
    fragment.append(createElement("p", { part: "empty" }, strings.noLimits));
    return fragment;
  }
  const items = report.limits.map((limit, index) => {
    const id = `limit-${index}`;
    return createElement(
      "li",
      { "data-meter": limit.meter },
      createElement(
        "span",
        { id },
        formatString(limit.scope === "*" ? strings.limitLine : strings.limitLineScoped, {
          meter: strings.meterNames[limit.meter] ?? limit.meter,
          period: strings.periodNames[limit.period] ?? limit.period,
          scope: limit.scope,
          used: formatNumber(limit.used),
          limit: formatNumber(limit.limit),
          reset: formatDate(limit.resets_at),
        }),
      ),
      createElement("progress", {
        max: String(Math.max(limit.limit, 1)),
        value: String(Math.min(limit.used, limit.limit)),
        "aria-labelledby": id,
        part: "limit-bar",
      }),
    );
  });
  fragment.append(createElement("ul", { class: "limits", part: "limits" }, ...items));
  return fragment;
}

/**
 * @module client/settings/create-formatters
 * Dates and numbers as the settings component shows them, in the locale its `lang` (or the page's) names.
 */

export interface Formatters {
  /** A date and time; `none` for null, the text itself when it is no date. */
  readonly date: (iso: string | null) => string;
  readonly day: (iso: string | null) => string;
  readonly number: (value: number) => string;
}

export function createFormatters(locale: () => string | undefined, none: () => string): Formatters {
  const format = (iso: string | null, options: Intl.DateTimeFormatOptions): string => {
    if (!iso) return none();
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return iso;
    return new Intl.DateTimeFormat(locale(), options).format(date);
  };
  return {
    date: (iso) => format(iso, { dateStyle: "medium", timeStyle: "short" }),
    day: (iso) => format(iso, { dateStyle: "medium" }),
    number: (value) => new Intl.NumberFormat(locale()).format(value),
  };
}

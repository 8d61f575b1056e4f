/**
 * Messages and locale-aware formatting, without any framework: the editor's
 * components reach them through the i18n context, tests call them directly.
 */
import en from './en.json';
import ja from './ja.json';

export const LOCALES = ['en', 'ja'] as const;
export type Locale = (typeof LOCALES)[number];
export type MessageKey = keyof typeof en;
export type Params = Record<string, string | number>;
export type Translate = (key: MessageKey, params?: Params) => string;

const CATALOGUES: Record<Locale, Record<string, string>> = { en, ja };

/** Intl locale tags for each editor language. */
const TAGS: Record<Locale, string> = { en: 'en-GB', ja: 'ja-JP' };

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** Whether a key exists (for labels built from data, like stage or event-type names). */
export function hasMessage(key: string): key is MessageKey {
  return key in en;
}

/** A translator for one locale: `{name}` placeholders are replaced from `params`; a missing message falls back to English. */
export function createTranslator(locale: Locale): Translate {
  const messages = CATALOGUES[locale];
  return (key, params) => {
    const template = messages[key] ?? en[key] ?? key;
    if (!params) return template;
    return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
  };
}

/** Number, percentage and date formatting in a locale. */
export function createFormatters(locale: Locale) {
  const tag = TAGS[locale];
  const integer = new Intl.NumberFormat(tag, { maximumFractionDigits: 0 });
  const decimal = new Intl.NumberFormat(tag, { maximumFractionDigits: 2 });
  const percent = new Intl.NumberFormat(tag, { style: 'percent', maximumFractionDigits: 1 });
  const date = new Intl.DateTimeFormat(tag, { dateStyle: 'medium' });
  const dateTime = new Intl.DateTimeFormat(tag, { dateStyle: 'medium', timeStyle: 'short' });
  const parse = (value: string | number | Date) => (value instanceof Date ? value : new Date(value));
  return {
    tag,
    /** A number with up to two decimals; "–" for null. */
    number: (value: number | null | undefined, digits?: number) =>
      value === null || value === undefined || Number.isNaN(value)
        ? '–'
        : digits === undefined
          ? decimal.format(value)
          : new Intl.NumberFormat(tag, { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(value),
    integer: (value: number | null | undefined) => (value === null || value === undefined ? '–' : integer.format(value)),
    /** A ratio 0..1 as a percentage; "–" for null. */
    percent: (value: number | null | undefined) => (value === null || value === undefined ? '–' : percent.format(value)),
    date: (value: string | number | Date | null | undefined) => (value === null || value === undefined ? '–' : date.format(parse(value))),
    dateTime: (value: string | number | Date | null | undefined) =>
      value === null || value === undefined ? '–' : dateTime.format(parse(value)),
  };
}
export type Formatters = ReturnType<typeof createFormatters>;

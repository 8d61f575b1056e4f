/** The chosen language, shared through a Svelte context; messages and formats follow it reactively. */
import { getContext, setContext } from 'svelte';
import { createFormatters, createTranslator, isLocale, type Locale, type MessageKey, type Params } from './translate';

const KEY = Symbol('i18n');
const STORAGE_KEY = 'leadflow.locale';

export class I18n {
  locale = $state<Locale>('en');
  #t = $derived(createTranslator(this.locale));
  format = $derived(createFormatters(this.locale));

  constructor(initial?: Locale) {
    const stored = initial ?? readStored();
    if (stored) this.locale = stored;
  }

  /** The message for `key` in the current language. */
  t = (key: MessageKey, params?: Params): string => this.#t(key, params);

  setLocale(locale: Locale): void {
    this.locale = locale;
    try {
      localStorage.setItem(STORAGE_KEY, locale);
    } catch {
      // Storage may be unavailable (private mode); the choice then lasts for this page only.
    }
  }
}

function readStored(): Locale | undefined {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return isLocale(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export function setI18n(i18n: I18n): I18n {
  return setContext(KEY, i18n);
}

export function getI18n(): I18n {
  const i18n = getContext<I18n | undefined>(KEY);
  if (!i18n) throw new Error('getI18n() outside the i18n context');
  return i18n;
}

export type { Locale, MessageKey };

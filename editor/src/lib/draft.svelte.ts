/**
 * The rule set being edited: a copy of a stored version, the note for the
 * version it will become, and the problems the server found in it (from the
 * live preview or from saving) and the mistakes the editor finds in its
 * conditions itself, each kept under its JSON path. Shared by the
 * rules pages through a context, so switching tabs keeps the edits.
 */
import { getContext, setContext } from 'svelte';
import type { FieldError, RuleSetDefinition } from './api';
import type { Translate } from './i18n/translate';
import { attributesRead, checkRuleSet, describeCheck, fieldContext } from './logic/check';
import { fieldCatalogue, type KnownAttribute } from './logic/fields';
import { problemMessage } from './logic/problems';

const KEY = Symbol('draft');
/** Unsaved edits survive a reload of the tab. */
const STORAGE_KEY = 'leadflow.draft';

/** Metadata the server assigns to a new version; left out of what the editor sends. */
const ASSIGNED = ['$schema', 'version', 'parent', 'createdAt', 'author', 'note'] as const;

/** The rule set as sent to the server: everything but the metadata of its version. */
export function ruleSetPayload(definition: RuleSetDefinition): Record<string, unknown> {
  const payload: Record<string, unknown> = { ...definition };
  for (const key of ASSIGNED) delete payload[key];
  return payload;
}

/** A problem path as the rule set sees it: the preview reports `ruleSet.scoring[3].points`, saving `scoring[3].points`. */
export function normalisePath(path: string): string {
  if (path === 'ruleSet') return '';
  return path.startsWith('ruleSet.') ? path.slice('ruleSet.'.length) : path;
}

export class Draft {
  /** The stored version the draft started from; replaced whole, never edited. */
  base = $state.raw<{ version: string; definition: RuleSetDefinition } | null>(null);
  rules = $state<RuleSetDefinition | null>(null);
  note = $state('');
  /** The server's problems with the draft, as it reported them. */
  problems = $state<FieldError[]>([]);
  readonly #t: Translate;

  constructor(t: Translate) {
    this.#t = t;
  }

  readonly payload = $derived(this.rules ? ruleSetPayload($state.snapshot(this.rules) as RuleSetDefinition) : null);
  /** The attributes stored leads have (GET /v1/attributes), once the rules pages have read them. */
  storedAttributes = $state.raw<readonly KnownAttribute[]>([]);

  /**
   * Attributes a condition may read without looking misspelled: those stored leads have and those the
   * stored version's conditions read. Not the draft's own, or a typo would vouch for itself.
   */
  readonly knownAttributes = $derived.by((): KnownAttribute[] => {
    const known = [...this.storedAttributes];
    for (const name of this.base ? attributesRead(this.base.definition) : []) {
      if (!known.some((a) => a.name === name)) known.push({ name, type: 'other' });
    }
    return known;
  });

  /** Every field the draft's conditions can offer and read. */
  readonly fields = $derived.by(() => (this.rules ? fieldCatalogue(this.#t, this.rules.eventTypes, this.knownAttributes) : []));

  /** Mistakes in the draft's conditions that the server would accept (misspelled fields, text for numbers). */
  readonly checks = $derived(this.rules ? checkRuleSet(this.rules, fieldContext(this.fields)) : []);

  /** Everything wrong with the draft, in the user's words: the server's problems, then the draft's own checks. */
  readonly allProblems = $derived<FieldError[]>([
    ...this.problems.map((p) => ({ path: p.path, message: problemMessage(p, this.#t) })),
    ...this.checks.map(({ path, check }) => ({ path, message: describeCheck(check, this.#t, this.rules?.eventTypes ?? []) })),
  ]);

  readonly dirty = $derived(
    this.base !== null && this.payload !== null && JSON.stringify(this.payload) !== JSON.stringify(ruleSetPayload(this.base.definition)),
  );

  /** Starts editing a copy of a stored version. */
  load(version: string, definition: RuleSetDefinition): void {
    // A snapshot, not structuredClone: the definition may be a $state proxy, which cannot be cloned.
    const copy = $state.snapshot(definition) as RuleSetDefinition;
    this.base = { version, definition: copy };
    this.rules = $state.snapshot(copy) as RuleSetDefinition;
    this.note = '';
    this.problems = [];
  }

  /**
   * Starts editing a suggested rule set as unsaved edits of the version it was suggested from, with the
   * suggestion's note, so saving it makes a new version, child of that one.
   */
  openSuggestion(version: string, base: RuleSetDefinition, suggested: RuleSetDefinition, note: string): void {
    this.load(version, base);
    const rules: Record<string, unknown> = { ...($state.snapshot(suggested) as RuleSetDefinition) };
    // The version's own metadata stays the base's: the server assigns the new version's when it is saved.
    for (const key of ASSIGNED) {
      if (key in base) rules[key] = (base as unknown as Record<string, unknown>)[key];
      else delete rules[key];
    }
    this.rules = rules as unknown as RuleSetDefinition;
    this.note = note;
  }

  /** Forgets every unsaved edit: back to the version the draft started from. */
  reset(): void {
    if (this.base) this.load(this.base.version, this.base.definition);
  }

  /** Keeps unsaved edits for this tab; forgets them once there are none. */
  remember(): void {
    try {
      if (this.dirty)
        sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ base: this.base, rules: $state.snapshot(this.rules), note: this.note }));
      else sessionStorage.removeItem(STORAGE_KEY);
    } catch {
      // Without storage the draft lasts as long as the page.
    }
  }

  /** Brings back the unsaved edits of this tab, if any; false when there were none. */
  restore(): boolean {
    try {
      const saved = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null') as Pick<Draft, 'base' | 'rules' | 'note'> | null;
      if (!saved?.base || !saved.rules) return false;
      this.base = saved.base;
      this.rules = saved.rules;
      this.note = saved.note ?? '';
      this.problems = [];
      return true;
    } catch {
      return false;
    }
  }

  setProblems(errors: FieldError[]): void {
    this.problems = errors.map((e) => ({ path: normalisePath(e.path), message: e.message }));
  }

  /**
   * The server's first problem at or under a condition's path: what a condition builder shows below its
   * rows, which show the draft's own checks themselves.
   */
  serverErrorUnder = (prefix: string): string | undefined => {
    const problem = this.problems.find((p) => p.path === prefix || p.path.startsWith(`${prefix}.`) || p.path.startsWith(`${prefix}[`));
    return problem && problemMessage(problem, this.#t);
  };

  /** The message for exactly this path, if the draft has a problem there. */
  errorAt = (path: string): string | undefined => this.allProblems.find((p) => p.path === path)?.message;

  /** Problems at or under a path (a condition's own path and its inner parts). */
  errorsUnder = (prefix: string): FieldError[] =>
    this.allProblems.filter((p) => p.path === prefix || p.path.startsWith(`${prefix}.`) || p.path.startsWith(`${prefix}[`));
}

export function setDraft(draft: Draft): Draft {
  return setContext(KEY, draft);
}

export function getDraft(): Draft {
  const draft = getContext<Draft | undefined>(KEY);
  if (!draft) throw new Error('getDraft() outside the draft context');
  return draft;
}

import { describe, expect, it } from 'vitest';
import en from '../../../editor/src/lib/i18n/en.json';
import ja from '../../../editor/src/lib/i18n/ja.json';
import { createTranslator } from '../../../editor/src/lib/i18n/translate';
import { describePath, fieldId, tabOf } from '../../../editor/src/lib/logic/paths';
import { approvableTeams, can } from '../../../editor/src/lib/permissions';
import v1 from '../../../rules/v1.json';

/** Labels that read the same in both languages: names, acronyms, symbols. */
const SAME_IN_BOTH = new Set([
  'app.name',
  'lang.en',
  'lang.ja',
  'stage.mql',
  'stage.sal',
  'stage.sql',
  'compare.auc',
  'compare.f1',
  'words.isTrue',
  'diff.field',
  'diff.value',
]);
const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('translations', () => {
  it('has every English label in Japanese and no other', () => {
    expect(Object.keys(ja).sort()).toEqual(Object.keys(en).sort());
  });

  it('translates every label but names and symbols', () => {
    const untranslated = Object.entries(en).filter(([key, text]) => !SAME_IN_BOTH.has(key) && (ja as Record<string, string>)[key] === text);
    expect(untranslated).toEqual([]);
  });

  it('keeps the same placeholders in both languages', () => {
    const mismatched = Object.keys(en).filter(
      (key) =>
        JSON.stringify(placeholders((en as Record<string, string>)[key]!)) !==
        JSON.stringify(placeholders((ja as Record<string, string>)[key]!)),
    );
    expect(mismatched).toEqual([]);
  });

  it('fills placeholders', () => {
    expect(createTranslator('en')('rules.saved', { version: 'v3' })).toBe('Saved as v3.');
    expect(createTranslator('ja')('rules.saved', { version: 'v3' })).toBe('v3 として保存しました。');
  });
});

describe('problem paths', () => {
  it('names the field of a problem in words', () => {
    expect(describePath('scoring[3].points', v1, createTranslator('en'))).toBe('Scoring › “Webinar attended” › Points');
    expect(describePath('routing.rules[1].queue', v1, createTranslator('en'))).toBe('Routing › “Hot lead: phone call” › Queue');
    expect(describePath('routing.rules[1].queue', v1, createTranslator('ja'))).toBe('ルーティング › “Hot lead: phone call” › キュー');
    expect(describePath('lifecycle.transitions[4].from[0]', v1, createTranslator('en'))).toBe(
      'Lifecycle › Transitions › “Sales accepts the hand-off” › From › #1',
    );
    expect(describePath('lifecycle.thresholds.mql', v1, createTranslator('en'))).toBe(
      'Lifecycle › Lifecycle thresholds › MQL (hand-off) threshold',
    );
  });

  it('finds the tab and the input of a problem', () => {
    expect(tabOf('scoring[3].points')).toBe('/rules');
    expect(tabOf('bands.hot')).toBe('/rules/thresholds');
    expect(tabOf('lifecycle.transitions[2].when')).toBe('/rules/lifecycle');
    expect(tabOf('routing.default.queue')).toBe('/rules/routing');
    expect(fieldId('scoring[3].points')).toBe('f-scoring-3-points');
  });
});

describe('roles', () => {
  it('lets editors change rules and approve for marketing, not activate', () => {
    expect(can('editor', 'saveVersion')).toBe(true);
    expect(can('editor', 'activate')).toBe(false);
    expect(approvableTeams('editor')).toEqual(['marketing']);
  });

  it('lets sales read leads and approve for sales, not change rules', () => {
    expect(can('sales', 'readLeads')).toBe(true);
    expect(can('sales', 'editRules')).toBe(false);
    expect(approvableTeams('sales')).toEqual(['sales']);
  });

  it('lets an admin do everything and a signed-out user nothing', () => {
    expect(can('admin', 'activate')).toBe(true);
    expect(approvableTeams('admin')).toEqual(['marketing', 'sales']);
    expect(can(null, 'preview')).toBe(false);
    expect(can('ingest', 'readLeads')).toBe(false);
  });

  it('shows the admin pages (keys, webhooks) to an admin only', () => {
    expect(can('admin', 'administer')).toBe(true);
    for (const role of ['ingest', 'sales', 'editor'] as const) expect(can(role, 'administer')).toBe(false);
  });
});

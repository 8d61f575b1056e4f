/**
 * JSON paths into a rule set (`scoring[3].points`), as the server reports
 * problems: the id of the form field that edits them, the rules tab that
 * shows them, and a description a person can read.
 */
import type { MessageKey, Translate } from '../i18n/translate';
import { hasMessage } from '../i18n/translate';

/** The DOM id of the input editing `path`. */
export function fieldId(path: string): string {
  return `f-${path.replace(/[^a-zA-Z0-9]+/g, '-').replace(/-$/, '')}`;
}

export type RulesTab = '/rules' | '/rules/thresholds' | '/rules/lifecycle' | '/rules/routing';

/** The rules tab where the field of `path` is edited. */
export function tabOf(path: string): RulesTab {
  if (path.startsWith('lifecycle.transitions')) return '/rules/lifecycle';
  if (path.startsWith('routing')) return '/rules/routing';
  if (path.startsWith('scoring') || path.startsWith('eventTypes') || path === '') return '/rules';
  return '/rules/thresholds';
}

const SEGMENT_KEYS: Record<string, MessageKey> = {
  scoring: 'rules.tab.scoring',
  routing: 'rules.tab.routing',
  lifecycle: 'rules.tab.lifecycle',
  transitions: 'lifecycle.transitions',
  from: 'lifecycle.from',
  to: 'lifecycle.to',
  thresholds: 'thresholds.lifecycle',
  timing: 'thresholds.timing',
  decay: 'thresholds.decay',
  halfLifeDays: 'thresholds.halfLife',
  bands: 'thresholds.bands',
  hot: 'thresholds.hot',
  warm: 'thresholds.warm',
  mql: 'thresholds.mql',
  reactivation: 'thresholds.reactivation',
  dormantAfterDays: 'thresholds.dormantAfterDays',
  customerDormantAfterDays: 'thresholds.customerDormantAfterDays',
  recycleLostAfterDays: 'thresholds.recycleLostAfterDays',
  points: 'scoring.points',
  maxTimes: 'scoring.maxTimes',
  maxPoints: 'scoring.maxPoints',
  on: 'scoring.events',
  when: 'scoring.condition',
  kind: 'scoring.kind',
  label: 'routing.label',
  queue: 'routing.queue',
  owner: 'routing.owner',
  approach: 'routing.approach',
  default: 'routing.default',
  handOff: 'thresholds.handOff',
  recentActivityCount: 'thresholds.recentActivityCount',
};

/** "Scoring › Webinar attended › Points" for `scoring[3].points`. */
export function describePath(path: string, ruleSet: unknown, t: Translate): string {
  if (path === '') return t('rules.title');
  const parts: string[] = [];
  let node: unknown = ruleSet;
  for (const token of path.match(/[^.[\]]+|\[\d+\]/g) ?? []) {
    if (token.startsWith('[')) {
      const index = Number(token.slice(1, -1));
      node = Array.isArray(node) ? node[index] : undefined;
      const label = node && typeof node === 'object' ? (node as { label?: unknown }).label : undefined;
      parts.push(typeof label === 'string' && label ? `“${label}”` : `#${index + 1}`);
      continue;
    }
    node = node && typeof node === 'object' ? (node as Record<string, unknown>)[token] : undefined;
    // Containers that add nothing for a reader: the rule's label follows.
    if (token === 'caps' || token === 'rules') continue;
    const key = SEGMENT_KEYS[token];
    parts.push(key && hasMessage(key) ? t(key) : token);
  }
  return parts.join(' › ');
}

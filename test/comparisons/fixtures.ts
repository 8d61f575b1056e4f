/**
 * A history small enough to check by hand, and the two versions compared on
 * it: v1 as shipped (hand-off at 60 points) and v2, the same with the
 * hand-off at 30. All events fall on Monday 2024-01-01 (one ISO week, no
 * decay), outcomes at noon.
 *
 * | lead | activity (points)                          | v1 judged      | v2 judged                  | outcome |
 * | a    | demo request 30, webinar 20, click 10 = 60 | 60 hot, MQL    | 30 warm, MQL at the demo   | won     |
 * | b    | two opens 5 + 5 = 10                       | 10 cold        | 10 cold                    | lost    |
 * | c    | download 15, webinar 20 = 35               | 35 warm        | 35 warm, MQL               | won     |
 * | d    | contact request 30                         | 30 warm        | 30 warm, MQL               | lost    |
 * | e    | click 10                                   | 10 cold        | 10 cold                    | open    |
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LeadEventInput } from '../../engine/index';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** `hh:mm` on 2024-01-01 as an ISO time. */
const at = (time: string) => `2024-01-01T${time}:00.000Z`;

function lead(leadId: string, steps: Array<[string, string]>, outcome?: 'deal_won' | 'deal_lost'): LeadEventInput[] {
  const events: LeadEventInput[] = steps.map(([time, type], i) => ({
    id: `${leadId}-${i + 1}`,
    leadId,
    type,
    occurredAt: at(time),
    properties: {},
  }));
  if (outcome)
    events.push({
      id: `${leadId}-outcome`,
      leadId,
      type: outcome,
      occurredAt: at('12:00'),
      properties: outcome === 'deal_lost' ? { reason: 'price' } : { amount: 1000 },
    });
  return events;
}

/** The history, in time order. */
export function smallHistory(): LeadEventInput[] {
  const events = [
    ...lead(
      'a',
      [
        ['09:00', 'demo_request'],
        ['09:10', 'webinar_attended'],
        ['09:20', 'email_click'],
      ],
      'deal_won',
    ),
    ...lead(
      'b',
      [
        ['09:00', 'email_open'],
        ['09:10', 'email_open'],
      ],
      'deal_lost',
    ),
    ...lead(
      'c',
      [
        ['09:00', 'document_download'],
        ['09:10', 'webinar_attended'],
      ],
      'deal_won',
    ),
    ...lead('d', [['09:00', 'contact_request']], 'deal_lost'),
    ...lead('e', [['09:00', 'email_click']]),
  ];
  return events.sort((x, y) => (x.occurredAt < y.occurredAt ? -1 : x.occurredAt > y.occurredAt ? 1 : 0));
}

/** The history as a JSON Lines file. */
export function writeHistory(file: string, events: readonly unknown[] = smallHistory()): string {
  writeFileSync(file, events.map((event) => JSON.stringify(event)).join('\n') + '\n');
  return file;
}

/** rules/v1.json, changed by `change`, as version `version`. */
export function variant(version: string, change: (rules: any) => void): Record<string, unknown> {
  const rules = JSON.parse(readFileSync(join(ROOT, 'rules/v1.json'), 'utf8'));
  rules.version = version;
  rules.parent = 'v1';
  change(rules);
  return rules;
}

/** v1 with the hand-off (MQL) threshold at 30. */
export const v2 = () =>
  variant('v2', (rules) => {
    rules.lifecycle.thresholds.mql = 30;
  });

/** A rules directory holding v1 and v2. */
export function writeRules(dir: string): string {
  mkdirSync(dir, { recursive: true });
  cpSync(join(ROOT, 'rules/v1.json'), join(dir, 'v1.json'));
  writeFileSync(join(dir, 'v2.json'), JSON.stringify(v2(), null, 2));
  return dir;
}

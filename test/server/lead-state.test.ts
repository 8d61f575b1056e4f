/**
 * A lead's stored state: what `encodeState` writes beside the row's columns
 * reads back, with `decodeState`, as the state the next evaluation starts
 * from (its stage history and recent activity empty, see store/lead-state.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate, loadRuleSetOrThrow, type LeadEvent, type LeadState } from '../../engine/index';
import { decodeState, encodeState, trimState } from '../../server/store/lead-state';
import { ROOT } from './helpers';

const ruleSet = loadRuleSetOrThrow(readFileSync(join(ROOT, 'rules/v1.json'), 'utf8'));
const TYPES = ['lead_updated', 'email_open', 'webinar_attended', 'demo_request', 'sales_accepted', 'deal_won', 'disqualified'];

/** The state after each event of a history that goes through attributes, webinars, tallies, an outcome and a disqualification. */
function states(): LeadState[] {
  const out: LeadState[] = [];
  let state: LeadState | null = null;
  TYPES.forEach((type, i) => {
    const event: LeadEvent = {
      id: `e${i}`,
      leadId: 'lead-1',
      type,
      occurredAt: new Date(Date.UTC(2026, 0, 1 + i * 3)).toISOString(),
      properties:
        type === 'lead_updated'
          ? { role: 'director', pastDeals: [{ closedAt: '2025-06-01', amount: 100 }] }
          : type === 'webinar_attended'
            ? { question: 'Does it route by region?' }
            : type === 'disqualified'
              ? { reason: 'spam' }
              : {},
    };
    // evaluate leaves each state as it was: every one stays what it was after its event.
    state = evaluate(ruleSet, state, event).state;
    out.push(state);
  });
  return out;
}

describe('a stored lead state', () => {
  it('reads back with its row as the state it was written from, its histories empty, and counts its stage changes', () => {
    for (const state of states()) {
      const row = {
        id: state.leadId,
        state: encodeState(state, state.stageHistory.length),
        stage: state.stage,
        band: state.band,
        rule_set_version: state.ruleSetVersion,
        event_count: state.eventCount,
        engagement_base: state.engagementAtLastActivity,
        last_activity_at: state.lastActivityAt,
      };
      const decoded = decodeState(row);
      expect(decoded.state, `after ${state.eventCount} events`).toEqual(trimState(state));
      expect(decoded.stageCount).toBe(state.stageHistory.length);
      expect(Object.keys(JSON.parse(row.state))).not.toContain('stageHistory');
    }
  });
});

/** `leadflow evaluate`: runs events through a rule set and prints each lead's final state. */
import { parseArgs } from 'node:util';
import { EvaluationError, evaluate, type Explanation, type LeadEvent, type LeadState } from '../engine/index';
import { CliError, readEvents, readRuleSet } from './io';

/** Events of one lead in time order; ties keep the file's order by id, as the server does. */
function byLeadInTimeOrder(events: LeadEvent[]): Map<string, LeadEvent[]> {
  const leads = new Map<string, LeadEvent[]>();
  for (const event of events) {
    const list = leads.get(event.leadId) ?? [];
    list.push(event);
    leads.set(event.leadId, list);
  }
  for (const list of leads.values()) {
    list.sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
  return leads;
}

/** The per-event explanation, trimmed to what a reader checks by hand. */
function summarise(explanation: Explanation) {
  return {
    eventId: explanation.eventId,
    type: explanation.eventType,
    at: explanation.at,
    ...(explanation.decay && { decayRemoved: explanation.decay.removed }),
    points: explanation.rules.map((r) => ({ rule: r.ruleId, points: r.points, ...(r.capped && { capped: true }) })),
    score: explanation.score.after.total,
    ...(explanation.stageChanges.length > 0 && {
      stageChanges: explanation.stageChanges.map((c) => ({ from: c.from, to: c.to, by: c.transitionId })),
    }),
  };
}

export function evaluateCommand(argv: string[]): number {
  const { values } = parseArgs({ args: argv, options: { rules: { type: 'string' }, events: { type: 'string' } } });
  if (!values.rules || !values.events) throw new CliError('usage: leadflow evaluate --rules <file> --events <file.jsonl>');
  const ruleSet = readRuleSet(values.rules);
  const leads = byLeadInTimeOrder(readEvents(values.events));
  for (const [leadId, events] of leads) {
    let state: LeadState | null = null;
    const explanation = [];
    for (const event of events) {
      try {
        const result = evaluate(ruleSet, state, event);
        state = result.state;
        explanation.push(summarise(result.explanation));
      } catch (error) {
        if (error instanceof EvaluationError) throw new CliError(`${values.events}: event "${event.id}": ${error.message}`);
        throw error;
      }
    }
    const { score, band, stage, route } = state!;
    console.log(
      JSON.stringify({ leadId, score: score.total, fit: score.fit, engagement: score.engagement, band, stage, route, explanation }),
    );
  }
  return 0;
}
